"""A RouterOS REST client we did not write (rosrestpy, from PyPI) works against the simulator.

It talks to ``/rest`` over real HTTP and HTTPS with Basic auth and turns the answers into its
own typed records, so a missing field or a wrong shape makes it fail the way it would on a
router that answered differently.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from mikrodock.sim import Simulator

ros = pytest.importorskip("ros")


@pytest.fixture(params=[False, True], ids=["http", "https"])
def client(request: pytest.FixtureRequest, routeros_sim_factory: Any) -> Any:
    sim: Simulator = routeros_sim_factory(version="7.22.3", tls=request.param)
    # its own session (the library's default one is shared by every client); ``secure`` is
    # what it hands requests as ``verify``: our CA file for HTTPS
    # (requests would let a CA bundle named in the environment override it: trust_env off)
    session = requests.Session()
    session.trust_env = False
    verify = str(sim.ca_path) if sim.ca_path else False
    return ros.Ros(f"{sim.url}/", sim.user, sim.password, session=session, secure=verify)


def test_reads_a_fresh_routers_menus(client: Any) -> None:
    interfaces = client.interface.print()
    ether1 = next(i for i in interfaces if i.name == "ether1")
    assert ether1.running and ether1.actual_mtu == 1500 and ether1.mac_address
    assert client.system.identity.name == "MikroTik"
    assert [service.name for service in client.ip.service.print()][:2] == ["ftp", "ssh"]
    assert client.ip.address.print() == []


def test_adds_finds_and_sets_an_address(client: Any) -> None:
    from ros.ip.address import Address

    made = client.ip.address.add(Address(address="192.0.2.1/24", interface="ether1"))
    assert made.address == "192.0.2.1/24" and made.id.startswith("*")
    assert made.network == "192.0.2.0" and made.actual_interface == "ether1"
    assert [a.address for a in client.ip.address.print()] == ["192.0.2.1/24"]
    changed = client.ip.address.set(made, {"comment": "lab"})
    assert changed.comment == "lab"
