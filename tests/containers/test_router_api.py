"""The Python API: the blocking Router and many AsyncRouters at once."""

from __future__ import annotations

import asyncio

from mikrodock.containers import AsyncRouter, ContainerSpec, EnvVar, PortMapping, Router
from mikrodock.sim import Delays, running

FAST = Delays(extract=0.05, start=0.01, stop=0.02)


def test_sync_router_facade() -> None:
    with (
        running(version="7.23", delays=FAST) as sim,
        Router(sim.url, sim.user, sim.password) as router,
    ):
        spec = ContainerSpec(
            name="api",
            image="alpine",
            cmd=("echo", "ready"),
            ports=(PortMapping(8080, 80),),
            env=(EnvVar("MODE", "prod"),),
        )
        result = router.run(spec, poll=0.01)
        assert result.address.startswith("172.")
        assert [(c.name, c.state) for c in router.ps()] == [("api", "running")]
        assert "ready" in [line.message for line in router.logs("api")]
        assert router.exec("api", ["echo", "$HOME"]) == "$HOME"
        assert "/container" in router.rm("api", force=True)[0]
        assert router.ps(all=True) == []


def test_many_routers_concurrently() -> None:
    with running(version="7.20", delays=FAST) as one, running(version="7.24", delays=FAST) as two:

        async def deploy(sim: object) -> str:
            async with AsyncRouter(sim.url, sim.user, sim.password) as router:  # type: ignore[attr-defined]
                spec = ContainerSpec(name="web", image="nginx", ports=(PortMapping(80, 80),))
                await router.run(spec, poll=0.01)
                return (await router.ps())[0].state

        async def both() -> list[str]:
            return list(await asyncio.gather(deploy(one), deploy(two)))

        assert asyncio.run(both()) == ["running", "running"]
