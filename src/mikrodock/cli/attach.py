"""``run`` in the foreground: print the container's output until it stops.

Like ``docker run`` (attached), the first SIGINT/SIGTERM stops the container (RouterOS stop,
waiting until it has stopped; with ``--rm`` then removing it and everything tagged for it); a
second one leaves it as it is and ends the command at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from mikrodock.cli.signals import on_signal
from mikrodock.containers.router import AsyncRouter
from mikrodock.containers.spec import ContainerSpec

__all__ = ["Attached"]


class Attached:
    """Follow one container's output; stop (and remove) it on the first signal."""

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

        with on_signal(interrupted):
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
