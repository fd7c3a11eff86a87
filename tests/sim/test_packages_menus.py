"""Menus of extra packages: a fresh CHR has only the base system, as RouterOS ships it.

Which menu belongs to which package comes from the command-tree facts (the whole tree crawled
with every extra package, minus the tree of the base system); see docs/SIM.md.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from mikrodock.errors import UsageError
from mikrodock.sim import Simulator
from mikrodock.sim.router import SimOptions, SimRouter

from .test_api_protocol import Raw

Factory = Callable[..., Simulator]
Clients = Callable[[Simulator], httpx.Client]

_EXTRA_MENUS = ("iot/mqtt/brokers", "user-manager/user", "dude", "interface/wireless", "tool/calea")


def test_a_fresh_chr_lacks_the_menus_of_extra_packages(rest: httpx.Client) -> None:
    for menu in _EXTRA_MENUS:
        answer = rest.get(f"/{menu}")
        assert answer.status_code == 400, menu
        assert answer.json()["detail"].startswith("no such command or directory"), menu
        assert rest.post(f"/{menu}/print", json={}).status_code == 400, menu
    # a command an extra package adds to a base menu (rose-storage's RAID scrub on /disk)
    assert rest.post("/disk/raid-scrub", json={}).status_code == 400
    # the base system and the container package (installed by default) are there
    for menu in ("ip/address", "system/ntp/client", "container", "interface/veth"):
        assert rest.get(f"/{menu}").status_code == 200, menu
    names = [row["name"] for row in rest.get("/system/package").json()]
    assert names == ["routeros", "container"]


def test_extra_packages_given_at_start_bring_their_menus(
    routeros_sim_factory: Factory, client_for: Clients
) -> None:
    sim = routeros_sim_factory(version="7.22.3", extra_packages={"iot", "user-manager"})
    rest = client_for(sim)
    made = rest.put("/iot/mqtt/brokers", json={"name": "b1", "address": "192.0.2.9"})
    assert made.status_code == 201, made.text
    assert [b["name"] for b in rest.get("/iot/mqtt/brokers").json()] == ["b1"]
    assert rest.get("/user-manager/user").status_code == 200
    assert rest.get("/dude").status_code == 400  # not asked for
    rows = {row["name"]: row for row in rest.get("/system/package").json()}
    assert rows["iot"]["disabled"] == "false"
    assert rows["user-manager"]["version"] == "7.22.3"


def test_without_the_container_package_its_menus_are_missing_too(
    routeros_sim_factory: Factory, client_for: Clients
) -> None:
    rest = client_for(routeros_sim_factory(version="7.21.5", container_package=False))
    for menu in ("container", "container/envs", "app", "interface/veth"):
        assert rest.get(f"/{menu}").status_code == 400, menu
    assert rest.get("/interface/bridge").status_code == 200


def test_an_unknown_extra_package_is_refused() -> None:
    with pytest.raises(UsageError, match="unknown extra package nope"):
        SimRouter(SimOptions(extra_packages=frozenset({"nope"})))


def test_the_error_names_the_first_word_the_router_lacks(rest: httpx.Client) -> None:
    assert rest.get("/iot/mqtt/brokers").json()["detail"] == "no such command or directory (iot)"
    assert rest.get("/ip/nothing").json()["detail"] == "no such command or directory (nothing)"


def test_the_api_refuses_and_writes_the_same(routeros_sim: Simulator) -> None:
    assert routeros_sim.api_port is not None
    raw = Raw(routeros_sim.api_port)
    try:
        raw.login(routeros_sim)
        raw.send("/iot/mqtt/brokers/print")
        assert raw.until_done()[0] == [
            "!trap",
            "=category=0",
            "=message=no such command or directory (iot)",
        ]
        raw.send("/interface/set", "=.id=ether1", "=comment=via-api")
        assert raw.until_done() == [["!done"]]
        raw.send("/interface/ethernet/print", "=.proplist=comment")
        assert raw.until_done() == [["!re", "=comment=via-api"], ["!done"]]
    finally:
        raw.sock.close()
