"""Menus known only from the command tree, over REST: what a third-party client meets first."""

from __future__ import annotations

import httpx


def test_a_fresh_chr_answers_the_menus_clients_read_first(rest: httpx.Client) -> None:
    for menu in ("system/clock", "ip/dns", "system/identity"):
        assert isinstance(rest.get(f"/{menu}").json(), dict), menu
    for menu in ("certificate", "ip/route", "ip/firewall/address-list"):
        assert rest.get(f"/{menu}").json() == [], menu
    assert rest.get("/system/clock").json()["time-zone-name"] == "manual"
    ether1 = rest.get("/interface/ether1").json()  # by name, as RouterOS allows
    assert {"mac-address", "actual-mtu", "running"} <= ether1.keys()
    assert "www-ssl" in [s["name"] for s in rest.get("/ip/service").json()]


def test_items_by_name_and_id_and_dot_id_for_numbers(rest: httpx.Client) -> None:
    made = rest.put("/ip/firewall/address-list", json={"list": "lan", "address": "192.0.2.1"})
    item_id = made.json()[".id"]
    assert rest.get(f"/ip/firewall/address-list/{item_id}").json()["list"] == "lan"
    assert rest.post("/ip/firewall/address-list/disable", json={".id": item_id}).json() == []
    assert rest.get(f"/ip/firewall/address-list/{item_id}").json()["disabled"] == "true"
    assert rest.post("/ip/firewall/address-list/remove", json={".id": item_id}).json() == []
    assert rest.get(f"/ip/firewall/address-list/{item_id}").status_code == 404


def test_bad_values_get_routeros_errors_and_change_nothing(rest: httpx.Client) -> None:
    before = rest.get("/ip/dns").json()
    answer = rest.patch("/ip/dns", json={"servers": "192.0.2.53", "cache-max-ttl": "soon"})
    assert answer.status_code == 400
    assert answer.json()["detail"] == "invalid value for argument cache-max-ttl"
    assert rest.get("/ip/dns").json() == before
    wrong = rest.put("/ip/route", json={"dst-address": "10.0.0.0/8", "gateway": "192.0.2.1"})
    assert wrong.status_code in (200, 201)
    unknown = rest.put("/ip/firewall/filter", json={"chain": "input", "in-interface": "nope"})
    assert unknown.status_code == 400
    assert unknown.json()["detail"] == "input does not match any value of in-interface"
    assert rest.get("/ip/firewall/filter").json() == []
    assert rest.get("/system/reboot").status_code == 400
    assert rest.delete("/ip/service/*1").status_code == 400  # no remove on /ip/service


def test_ether1_set_in_interface_ethernet_shows_in_interface(rest: httpx.Client) -> None:
    # One record, two menus: a setting made on /interface/ethernet reads back on /interface.
    answer = rest.patch("/interface/ethernet/ether1", json={"mtu": "1400", "comment": "up"})
    assert answer.status_code == 200, answer.text
    row = rest.get("/interface/ether1").json()
    assert (row["name"], row["mtu"], row["comment"]) == ("ether1", "1400", "up")
