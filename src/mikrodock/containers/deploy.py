"""Entry points the CLI calls for ``run``/``create``: plan offline, plan online, deploy.

Each takes a spec (and a target for the online ones) and returns text or data; printing stays in
the CLI module.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from mikrodock.containers.plan import plan_run
from mikrodock.containers.render import to_json, to_script
from mikrodock.containers.router import AsyncRouter, RunResult
from mikrodock.containers.spec import ContainerSpec
from mikrodock.containers.state import RouterState
from mikrodock.containers.steps import Plan
from mikrodock.routeros.version import parse_version

__all__ = ["deploy_cli", "render", "render_offline", "render_online"]


async def _run_local(router: AsyncRouter, spec: ContainerSpec, timeout: float) -> RunResult:
    """``run --local``: load the image onto the router, then run the container from the file."""
    from mikrodock.images.load import Loaded, load_image

    results: list[RunResult] = []

    async def run_from(loaded: Loaded) -> None:
        results.append(
            await router.run(replace(spec, image_file=loaded.router_file), timeout=timeout)
        )

    await load_image(router.ros, spec.image, then=run_from)
    return results[0]


def render(plan: Plan, fmt: str, version: Any = None) -> str:
    if fmt == "json":
        return to_json([plan]) + "\n"
    return to_script([plan], version)


def render_offline(spec: ContainerSpec, version: str, arch: str, fmt: str) -> str:
    """The plan for an empty router of ``version`` and ``arch``; contacts nothing."""
    state = RouterState.empty(parse_version(version), arch)
    return render(plan_run(spec, state), fmt, state.version)


def _router(target: Any) -> AsyncRouter:
    return AsyncRouter(target.url, target.user, target.password, tls=target.tls)


def render_online(target: Any, spec: ContainerSpec, fmt: str) -> str:
    """The plan for the real router (reads it, changes nothing)."""

    async def go() -> str:
        async with _router(target) as router:
            state = await router.state()
            return render(plan_run(spec, state), fmt, state.version)

    return asyncio.run(go())


def deploy_cli(
    target: Any,
    spec: ContainerSpec,
    *,
    timeout: float,
    detach: bool,
    on_line: Callable[[str], None] = print,
    local: bool = False,
) -> dict[str, Any]:
    """Apply the plan; in the foreground follow the output until the container stops, and with
    ``--rm`` remove it and everything tagged for it afterwards.

    With ``local``, the image is fetched and converted on this machine (or read from a local
    archive), uploaded, and the container made from that file; the upload is removed once
    RouterOS has extracted it (and when the deploy fails).
    """

    async def go() -> dict[str, Any]:
        async with _router(target) as router:
            if local:
                result = await _run_local(router, spec, timeout)
            else:
                result = await router.run(spec, timeout=timeout)
            data: dict[str, Any] = result.to_json()
            if not detach and spec.start:
                async for line in router.follow(spec.name, until_stopped=True):
                    on_line(line.message)
                if spec.auto_remove:
                    data["removed"] = await router.rm(spec.name, force=True)
            return data

    return asyncio.run(go())
