"""A `-p` must not take the router's own services away: WebFig and REST (www), WinBox, SSH,
the API... as `/ip/service` lists them on that router. Refused with one line naming the service
and the way out, exit 2, nothing changed; allowed on one address, on a port the router does
not serve (a disabled service, a moved one), or with --force-service-port. Compose the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mikrodock.containers.services import Service, check_service_ports
from mikrodock.containers.spec import PortMapping
from mikrodock.errors import UsageError
from mikrodock.sim import Simulator, running
from mikrodock.testing.sim_fixtures import DEPLOY_MENUS, router_objects


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with running(version="7.22.3", delays={"extract": 0.02, "start": 0.01}) as s:
        yield s


def _rest(sim: Simulator) -> httpx.Client:
    return httpx.Client(base_url=f"{sim.url}/rest", auth=(sim.user, sim.password), timeout=10)


@pytest.mark.parametrize(
    ("publish", "service"),
    [
        (["-p", "80:80"], "www (WebFig and the REST API)"),
        (["-p", "8291:8291"], "winbox (WinBox)"),
        (["-p", "8080:80", "-p", "22:22"], "ssh (SSH)"),
        (["-p", "8728:8728"], "api (the RouterOS API)"),
        (["-p", "1-65535:1-65535"], "ftp (FTP), ssh (SSH), telnet (telnet), www (WebFig"),
        (["-p", "192.0.2.1:21:21"], None),  # one address: allowed
    ],
)
def test_publishing_a_router_service_port_is_refused(
    sim: Simulator, sim_cli: Any, publish: list[str], service: str | None
) -> None:
    before = router_objects(sim)
    code, _out, err = sim_cli(sim, "run", "-d", "--name", "web", *publish, "nginx")
    if service is None:
        assert code == 0, err
        return
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert service in err
    assert "on every address away from the router's own" in err
    assert "--force-service-port" in err
    assert "-p ADDRESS:" in err
    assert router_objects(sim) == before


def test_the_check_reads_the_routers_own_services(sim: Simulator, sim_cli: Any) -> None:
    """www moved to 8080, telnet disabled, www-ssl (disabled on a fresh router) enabled."""
    with _rest(sim) as rest:
        rest.post("/ip/service/set", json={"numbers": "www", "port": "8080"}).raise_for_status()
        rest.post("/ip/service/disable", json={"numbers": "telnet"}).raise_for_status()
        rest.post("/ip/service/enable", json={"numbers": "www-ssl"}).raise_for_status()
    code, _out, err = sim_cli(sim, "run", "-d", "--name", "a", "-p", "80:80", "-p", "23:23", "x")
    assert code == 0, err
    code, _out, err = sim_cli(sim, "run", "-d", "--name", "b", "-p", "8080:80", "x")
    assert code == 2
    assert "www (WebFig" in err
    code, _out, err = sim_cli(sim, "run", "-d", "--name", "c", "-p", "443:443", "x")
    assert code == 2
    assert "www-ssl" in err
    code, _out, err = sim_cli(sim, "run", "-d", "--name", "d", "-p", "53:53/udp", "x")
    assert code == 0, err  # the services are TCP


def test_one_address_or_force_publishes_the_port(sim: Simulator, sim_cli: Any) -> None:
    code, _out, err = sim_cli(sim, "run", "-d", "--name", "a", "-p", "192.0.2.1:80:80", "x")
    assert code == 0, err
    code, _out, err = sim_cli(
        sim, "run", "-d", "--name", "b", "-p", "22:22", "--force-service-port", "x"
    )
    assert code == 0, err
    rules = [r for r in router_objects(sim)["ip/firewall/nat"] if r.get("chain") == "dstnat"]
    assert {(r["dst-port"], r.get("dst-address-type", "")) for r in rules} == {
        ("80", ""),
        ("22", "local"),
    }


_COMPOSE = """\
services:
  web:
    image: nginx:1.27
    ports: ["8080:80", "8291:8291"]
"""


@pytest.mark.parametrize("mode", ["app", "containers"])
def test_compose_ports_go_through_the_same_check(
    sim: Simulator, run_cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, mode: str
) -> None:
    (tmp_path / "compose.yaml").write_text(_COMPOSE)
    monkeypatch.setenv("MIKRODOCK_PASSWORD", sim.password)
    menus = (*DEPLOY_MENUS, "app")
    before = router_objects(sim, menus)
    base = ["compose", "-f", str(tmp_path / "compose.yaml"), "-H", sim.url, "--user", sim.user]
    code, _out, err = run_cli(*base, "up", "-d", "--mode", mode)
    assert code == 2
    assert "service 'web'" in err
    assert "winbox (WinBox)" in err
    assert "compose up --force-service-port" in err
    assert router_objects(sim, menus) == before
    code, _out, err = run_cli(*base, "up", "-d", "--mode", mode, "--force-service-port")
    assert code == 0, err


@given(
    low=st.integers(1, 65535),
    count=st.integers(1, 3000),
    ports=st.lists(st.integers(1, 65535), max_size=8),
)
def test_a_tcp_range_is_refused_exactly_when_it_holds_a_service_port(
    low: int, count: int, ports: list[int]
) -> None:
    count = min(count, 65536 - low)
    mapping = PortMapping(low, low, "tcp", count=count)
    services = [Service(f"s{p}", p) for p in ports]
    hit = any(low <= p < low + count for p in ports)
    try:
        check_service_ports([mapping], services)
    except UsageError:
        assert hit
    else:
        assert not hit
    check_service_ports([PortMapping(low, low, "udp", count=count)], services)  # never for UDP
    check_service_ports([PortMapping(low, low, "tcp", "10.0.0.1", count)], services)
