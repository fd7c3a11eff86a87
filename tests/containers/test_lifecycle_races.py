"""Commands that arrive while a container is between states (both state dialects)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mikrodock.containers import AsyncRouter, ContainerSpec
from mikrodock.sim import Delays, running

SLOW = Delays(extract=0.4, start=0.3, stop=0.3)


def _spec(name: str, start: bool = True) -> ContainerSpec:
    return ContainerSpec(name=name, image="alpine", cmd=("echo", "hi"), start=start)


async def _state(router: AsyncRouter, name: str) -> str:
    rows = {c.name: c.state for c in await router.ps(all=True)}
    return rows.get(name, "gone")


@pytest.mark.parametrize("version", ["7.19", "7.22"])
def test_races(version: str, transport: str, kit: Any) -> None:
    with running(version=version, delays=SLOW) as sim:

        async def scenario() -> None:
            url = kit.router_url(sim, transport)
            async with AsyncRouter(url, sim.user, sim.password) as router:
                # create returns once extracted; start right after a repull waits it out
                await router.run(_spec("a", start=False), poll=0.02)
                assert await _state(router, "a") == "stopped"
                await router.start("a")
                assert await _state(router, "a") in ("starting", "running")
                # stop while starting (7.20+ has a starting phase), then wait until stopped
                await router.stop("a")
                assert await _state(router, "a") == "stopped"
                await router.start("a")
                await router.start("a")  # starting twice is harmless
                # rm -f while stopping: it waits for the stop, then deletes
                item = next(c.id for c in await router.ps(all=True) if c.name == "a")
                await router.ros.command(
                    "container", "stop", {(await router.dialect()).numbers_arg: item}
                )
                await router.rm("a", force=True)
                assert await _state(router, "a") == "gone"

                # rm -f while the image is still extracting
                task = asyncio.create_task(router.run(_spec("b"), poll=0.02))
                while not any(c.name == "b" for c in await router.ps(all=True)):
                    await asyncio.sleep(0.01)
                task.cancel()  # leave nothing behind ...
                with pytest.raises(asyncio.CancelledError):
                    await task
                assert await _state(router, "b") == "gone"

                # pull while running: stop, pull, extract, start again
                await router.run(_spec("c"), poll=0.02)
                if (await router.dialect()).has_repull:
                    await router.pull("c")
                    assert await _state(router, "c") in ("starting", "running")
                await router.rm("c", force=True)
                assert await router.ps(all=True) == []

        asyncio.run(scenario())
