"""What a deploy reads from the router: only the menus its plan needs, at most ``READ_LANES``
requests at once, and the same plan as from reading everything (against the simulator)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import httpcore
import httpx
import pytest

from mikrodock.containers import AsyncRouter, ContainerSpec, EnvVar, Mount, PortMapping
from mikrodock.containers.plan import plan_run
from mikrodock.containers.state import MENUS, READ_LANES
from mikrodock.routeros.dialect import Dialect
from mikrodock.routeros.tls import plain_http_context
from mikrodock.sim import Delays, Simulator, running

VERSIONS = ["7.15", "7.19", "7.20", "7.22", "7.24"]
FAST = Delays(extract=0.05, start=0.01, stop=0.02)


class Recording(httpcore.AsyncConnectionPool):
    """A plain connection pool that notes every request and how many were in flight at once."""

    def __init__(self) -> None:
        super().__init__(ssl_context=plain_http_context())
        self.requests: list[tuple[str, str]] = []
        self.in_flight = 0
        self.most = 0

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        path = request.url.target.decode().split("?", 1)[0]
        self.requests.append((request.method.decode(), path.removeprefix("/rest/")))
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            response = await super().handle_async_request(request)
            await response.aread()
            return response
        finally:
            self.in_flight -= 1

    def reads(self) -> set[str]:
        return {path for method, path in self.requests if method == "GET"}


def _specs(version: str) -> dict[str, ContainerSpec]:
    dialect = Dialect.for_version(version)
    ro = dialect.mount_read_only_arg is not None
    base = ContainerSpec(name="web", image="nginx:1.27", ports=(PortMapping(8080, 80),))
    return {
        "plain": base,
        "inline env and mount": replace(
            base, env=(EnvVar("MODE", "prod"),), mounts=(Mount("disk1/www", "/srv"),)
        ),
        "env list and two mounts": replace(
            base,
            env=(EnvVar("LIST", "a,b"), EnvVar("B", "2")),
            mounts=(Mount("disk1/a", "/a"), Mount("disk1/b", "/b", read_only=ro)),
        ),
        "one read-only mount": replace(base, mounts=(Mount("disk1/c", "/c", read_only=ro),)),
    }


def _seed(sim: Simulator, version: str) -> None:
    """An env list and mounts named as mikrodock would name them: the plan must avoid them."""
    dialect = Dialect.for_version(version)
    env = {dialect.envs_group_key: "web-env", "key": "MINE", "value": "1"}
    mounts = [
        {dialect.mounts_group_key: name, "src": f"disk1/{name}", "dst": f"/{name}"}
        for name in ("web-vol", "web-vol0", "web-vol1")
    ]
    auth = (sim.user, sim.password)
    with httpx.Client(base_url=f"{sim.url}/rest", auth=auth, timeout=10) as client:
        for menu, body in [("container/envs", env), *(("container/mounts", m) for m in mounts)]:
            answer = client.put(f"/{menu}", json=body)
            assert answer.status_code in (200, 201), (menu, answer.text)


@pytest.mark.parametrize("version", VERSIONS)
def test_plan_from_the_reads_it_needs_is_the_plan_from_everything(version: str) -> None:
    with running(version=version, delays=FAST) as sim:
        _seed(sim, version)

        async def plans(spec: ContainerSpec) -> tuple[Any, Any]:
            async with AsyncRouter(sim.url, sim.user, sim.password) as router:
                return await router.plan(spec), plan_run(spec, await router.state())

        for what, spec in _specs(version).items():
            needed, full = asyncio.run(plans(spec))
            assert needed == full, f"{version}, {what}"


@pytest.mark.parametrize(
    ("version", "lists"), [("7.19", True), ("7.22", False)], ids=["named-lists", "inline"]
)
def test_a_deploy_reads_envs_and_mounts_only_where_they_are_lists(
    version: str, lists: bool
) -> None:
    spec = _specs(version)["inline env and mount"]
    recording = Recording()
    with running(version=version, delays=FAST) as sim:

        async def deploy() -> None:
            async with AsyncRouter(sim.url, sim.user, sim.password, transport=recording) as r:
                await r.run(spec, poll=0.01, timeout=10)

        asyncio.run(deploy())
        assert [c["name"] for c in sim.items("container")] == ["web"]
    reads = recording.reads()
    assert "interface/bridge/port" not in reads  # the plan never looks at bridge ports
    assert ("container/envs" in reads) is lists
    assert ("container/mounts" in reads) is lists
    assert {"system/resource", "container", "ip/firewall/nat", "container/config"} <= reads


def test_reading_everything_keeps_to_the_lanes() -> None:
    """A full read (``ps``, compose) reads every menu, never more than READ_LANES at once."""
    recording = Recording()
    with running(version="7.22") as sim:
        sim.add_fault("GET", "/rest/*", kind="latency", seconds=0.05, times=100)

        async def read() -> None:
            async with AsyncRouter(sim.url, sim.user, sim.password, transport=recording) as r:
                await r.state()

        asyncio.run(read())
    assert recording.reads() >= set(MENUS.values())
    assert 1 < recording.most <= READ_LANES
