"""Many mikrodock deploys to one router at the same moment, as separate processes on one or
several machines would run them (no lock on this machine can order them).

Each deploy has its own client; the simulator holds back every write (PUT, PATCH, POST,
DELETE) by 20 ms, so the deploys read the same router and then write in between each other.
Whatever the interleaving: no two containers get one address, no host port is forwarded twice,
every container runs, the shared network is made once, and the losers of a race for a host
port fail with a clear error and leave nothing behind.
"""

from __future__ import annotations

import asyncio
import collections
import ipaddress
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mikrodock.containers import AsyncRouter, ContainerSpec, PortMapping
from mikrodock.errors import MikrodockError
from mikrodock.sim import Delays, Fault, Simulator, running
from mikrodock.testing.sim_fixtures import container_state, router_objects

WRITE_LATENCY = 0.02
FAST = Delays(extract=0.05, start=0.01, stop=0.02)
MIKRODOCK = Path(sys.executable).with_name("mikrodock")


def _write_latency(seconds: float = WRITE_LATENCY) -> list[Fault]:
    return [
        Fault(method, "/rest/*", kind="latency", seconds=seconds, times=10**9)
        for method in ("PUT", "PATCH", "POST", "DELETE")
    ]


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with running(version="7.22.3", delays=FAST, faults=_write_latency()) as s:
        yield s


async def _deploy(sim: Simulator, spec: ContainerSpec) -> str | MikrodockError:
    """One deploy with its own client: the address it got, or the error it ended with."""
    async with AsyncRouter(sim.url, sim.user, sim.password) as router:
        try:
            return (await router.run(spec, timeout=60, poll=0.05)).address
        except MikrodockError as error:
            return error


def _deploy_all(sim: Simulator, specs: list[ContainerSpec]) -> list[str | MikrodockError]:
    async def everything() -> list[str | MikrodockError]:
        return await asyncio.gather(*(_deploy(sim, spec) for spec in specs))

    return asyncio.run(everything())


def _assert_no_clash(sim: Simulator, count: int) -> None:
    objects = router_objects(sim)
    veths = objects["interface/veth"]
    addresses = [ipaddress.IPv4Interface(v["address"]).ip for v in veths]
    assert len(veths) == count
    assert len(set(addresses)) == count, collections.Counter(addresses).most_common(3)
    gateway = [a for a in objects["ip/address"] if a.get("comment") == "mikrodock:net:mikrodock"]
    assert len(gateway) == 1  # the shared network made once
    assert ipaddress.IPv4Interface(gateway[0]["address"]).ip not in addresses
    assert all(ip in ipaddress.IPv4Interface(gateway[0]["address"]).network for ip in addresses)
    assert len(objects["interface/bridge"]) == 1
    masquerades = [r for r in objects["ip/firewall/nat"] if r.get("chain") == "srcnat"]
    assert len(masquerades) == 1
    assert len([r for r in objects["system/logging"] if r.get("topics") == "container"]) == 1
    host_ports = [
        (r["protocol"], r["dst-port"]) for r in objects["ip/firewall/nat"] if r["chain"] == "dstnat"
    ]
    assert len(host_ports) == len(set(host_ports))
    containers = objects["container"]
    assert len(containers) == count
    assert {container_state(c) for c in containers} == {"running"}


@pytest.mark.parametrize("count", [20, 50])
def test_concurrent_deploys_to_a_fresh_router_get_distinct_addresses(
    sim: Simulator, count: int
) -> None:
    specs = [
        ContainerSpec(name=f"web{i}", image="nginx", ports=(PortMapping(9000 + i, 80),))
        for i in range(count)
    ]
    results = _deploy_all(sim, specs)
    errors = [r for r in results if isinstance(r, MikrodockError)]
    assert not errors, errors[0].one_line()
    assert len(set(results)) == count
    _assert_no_clash(sim, count)


def test_concurrent_deploys_to_a_router_with_the_network_get_distinct_addresses(
    sim: Simulator,
) -> None:
    """The network is there already: only the addresses and ports are raced for."""
    assert isinstance(_deploy_all(sim, [ContainerSpec(name="first", image="nginx")])[0], str)
    specs = [
        ContainerSpec(name=f"web{i}", image="nginx", ports=(PortMapping(9000 + i, 80),))
        for i in range(20)
    ]
    results = _deploy_all(sim, specs)
    assert all(isinstance(r, str) for r in results), results
    _assert_no_clash(sim, 21)


def test_concurrent_deploys_of_one_host_port_have_exactly_one_winner(sim: Simulator) -> None:
    specs = [
        ContainerSpec(name=f"web{i}", image="nginx", ports=(PortMapping(9700, 80),))
        for i in range(5)
    ]
    results = _deploy_all(sim, specs)
    winners = [r for r in results if isinstance(r, str)]
    losers = [r for r in results if isinstance(r, MikrodockError)]
    assert len(winners) == 1
    assert len(losers) == 4
    for error in losers:
        assert error.exit_code == 2
        assert "host port 9700/tcp" in error.one_line()
        assert "pick another host port" in error.one_line()
    objects = router_objects(sim)
    rules = [r for r in objects["ip/firewall/nat"] if r.get("dst-port") == "9700"]
    assert len(rules) == 1
    assert len(objects["container"]) == len(objects["interface/veth"]) == 1  # losers left nothing
    assert len(objects["interface/bridge/port"]) == 1


def test_a_failing_deploy_does_not_take_the_shared_network_from_the_others(
    sim: Simulator,
) -> None:
    """One deploy of ten fails (its image cannot be pulled) after it may have made the shared
    network: its rollback removes only its own objects while the others use the network."""
    sim.fail_image("*broken*")
    specs = [ContainerSpec(name=f"web{i}", image="nginx") for i in range(9)]
    specs.insert(0, ContainerSpec(name="bad", image="acme/broken"))
    results = _deploy_all(sim, specs)
    assert isinstance(results[0], MikrodockError)
    assert all(isinstance(r, str) for r in results[1:]), results
    _assert_no_clash(sim, 9)
    tagged = [
        record
        for menu, records in router_objects(sim).items()
        if menu != "container/config"
        for record in records
        if record.get("comment") == "mikrodock:bad"
    ]
    assert tagged == []


def test_ten_mikrodock_processes_run_at_once(sim: Simulator, tmp_path: Path) -> None:
    """Ten real `mikrodock run -d` processes started together, two on one host port."""
    env = {**os.environ, "MIKRODOCK_PASSWORD": sim.password, "MIKRODOCK_HOME": str(tmp_path)}
    procs = []
    for i in range(10):
        port = "9700" if i < 2 else str(9000 + i)
        argv = [str(MIKRODOCK), "run", "-d", "-H", sim.url, "--router-user", sim.user]
        argv += ["--name", f"web{i}", "-p", f"{port}:80", "nginx"]
        procs.append(
            subprocess.Popen(
                argv, env=env, stdout=subprocess.PIPE, text=True, stderr=subprocess.PIPE
            )
        )
    ended = [(proc.wait(timeout=120), *proc.communicate()) for proc in procs]
    codes = [code for code, _out, _err in ended]
    assert codes[2:] == [0] * 8, [err for _code, _out, err in ended]
    assert sorted(codes[:2]) == [0, 2]  # one of the two on port 9700 wins
    loser = ended[codes.index(2)]
    assert "host port 9700/tcp" in loser[2]
    assert len(loser[2].strip().splitlines()) == 1
    _assert_no_clash(sim, 9)
