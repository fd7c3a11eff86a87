"""Entry points the CLI calls for ``run``/``create``: plan offline, plan online, deploy.

Each takes a spec (and a target for the online ones) and returns text or data; printing stays in
the CLI module.
"""

from __future__ import annotations

import asyncio
import signal
import sys
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


def _note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class _Attached:
    """``run`` in the foreground: print the container's output until it stops.

    Like ``docker run`` (attached), the first SIGINT/SIGTERM stops the container (RouterOS
    stop, waiting until it has stopped; with ``--rm`` then removing it and everything tagged
    for it); a second one leaves it as it is and ends the command at once."""

    def __init__(
        self,
        router: AsyncRouter,
        spec: ContainerSpec,
        on_line: Callable[[str], None],
        on_note: Callable[[str], None],
    ) -> None:
        self.router, self.spec, self.on_line, self.on_note = router, spec, on_line, on_note
        self.signals = 0
        self.abandoned = False

    async def _print_output(self) -> None:
        async for line in self.router.follow(self.spec.name, until_stopped=True):
            self.on_line(line.message)

    async def run(self, data: dict[str, Any]) -> None:
        loop = asyncio.get_running_loop()
        main = asyncio.current_task()
        follow = asyncio.ensure_future(self._print_output())
        name = self.spec.name

        def interrupted(signame: str) -> None:
            self.signals += 1
            if self.signals == 1:
                self.on_note(
                    f"mikrodock: {signame}: stopping container {name}"
                    f"{' and removing it' if self.spec.auto_remove else ''}"
                    " (again to leave it as it is)"
                )
                follow.cancel()
            elif not self.abandoned and main is not None:
                self.abandoned = True
                self.on_note(
                    f"mikrodock: {signame} again: left container {name} as it is"
                    f" (see mikrodock ps -a; mikrodock rm -f {name} removes it)"
                )
                main.cancel()

        handled: list[signal.Signals] = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, interrupted, sig.name)
            except (ValueError, RuntimeError, NotImplementedError):
                break  # not the main thread (or no signals here): nothing to forward
            handled.append(sig)
        try:
            try:
                await follow
            except asyncio.CancelledError:
                if not self.signals or self.abandoned:
                    raise
                await self.router.stop(name, self.spec.stop_timeout or 10)
                self.on_note(f"mikrodock: stopped {name}")
            if self.spec.auto_remove:
                data["removed"] = await self.router.rm(name, force=True)
                if self.signals:
                    self.on_note(f"mikrodock: removed {name} and what was tagged for it")
        except asyncio.CancelledError:
            if not self.abandoned or main is None:
                raise
            main.uncancel()  # the second signal ends the command, not the client's cleanup
        finally:
            follow.cancel()
            for sig in handled:
                loop.remove_signal_handler(sig)


def deploy_cli(
    target: Any,
    spec: ContainerSpec,
    *,
    timeout: float,
    detach: bool,
    on_line: Callable[[str], None] = print,
    on_note: Callable[[str], None] = _note,
    local: bool = False,
) -> dict[str, Any]:
    """Apply the plan; in the foreground follow the output until the container stops, and with
    ``--rm`` remove it and everything tagged for it afterwards. There, SIGINT/SIGTERM stops the
    container (and removes it with ``--rm``), a second one leaves it running and raises
    :class:`KeyboardInterrupt`; ``on_note`` says what happens.

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
                attached = _Attached(router, spec, on_line, on_note)
                await attached.run(data)
                if attached.abandoned:
                    data["abandoned"] = True
            return data

    data = asyncio.run(go())
    if data.get("abandoned"):
        raise KeyboardInterrupt
    return data
