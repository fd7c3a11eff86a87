"""What ``run``/``create`` do, for the CLI: plan offline, plan online, deploy.

Each takes a spec (and a router for the online ones) and returns text or data. No terminal work
here: printing, signals and the event loop belong to the caller (the CLI).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from mikrodock.containers.apply import Progress
from mikrodock.containers.flags import check_seconds
from mikrodock.containers.plan import plan_run
from mikrodock.containers.render import to_json, to_script
from mikrodock.containers.router import AsyncRouter, RunResult
from mikrodock.containers.spec import ContainerSpec
from mikrodock.containers.state import RouterState
from mikrodock.containers.steps import Plan
from mikrodock.routeros.version import parse_version

__all__ = ["deploy", "render", "render_offline", "render_online"]


def render(plan: Plan, fmt: str, version: Any = None) -> str:
    if fmt == "json":
        return to_json([plan]) + "\n"
    return to_script([plan], version)


def render_offline(spec: ContainerSpec, version: str, arch: str, fmt: str) -> str:
    """The plan for an empty router of ``version`` and ``arch``; contacts nothing."""
    state = RouterState.empty(parse_version(version), arch)
    return render(plan_run(spec, state), fmt, state.version)


async def render_online(router: AsyncRouter, spec: ContainerSpec, fmt: str) -> str:
    """The plan for the real router (reads it, changes nothing)."""
    state = await router.state()
    return render(plan_run(spec, state), fmt, state.version)


async def deploy(
    router: AsyncRouter,
    spec: ContainerSpec,
    *,
    timeout: float,
    local: bool = False,
    progress: Progress | None = None,
) -> RunResult:
    """Apply the plan (rolled back when it fails or is cancelled).

    With ``local``, the image is fetched and converted on this machine (or read from a local
    archive), uploaded, and the container made from that file; the upload is removed once
    RouterOS has extracted it (and when the deploy fails). ``progress`` is told each step as
    it starts (the image's download and extraction is one)."""
    check_seconds(timeout, "--pull-timeout")
    if not local:
        return await router.run(spec, timeout=timeout, progress=progress)
    from mikrodock.images.load import Loaded, load_image

    results: list[RunResult] = []

    async def run_from(loaded: Loaded) -> None:
        results.append(
            await router.run(
                replace(spec, image_file=loaded.router_file), timeout=timeout, progress=progress
            )
        )

    await load_image(router.ros, spec.image, then=run_from)
    return results[0]
