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
    no_remove = rest.delete("/ip/service/*1")  # /ip/service has no remove
    assert no_remove.status_code == 406
    assert no_remove.json() == {
        "error": 406,
        "message": "Not Acceptable",
        "detail": "no such command or directory (remove)",
    }


def test_ether1_set_in_interface_ethernet_shows_in_interface(rest: httpx.Client) -> None:
    # One record, two menus: a setting made on /interface/ethernet reads back on /interface.
    answer = rest.patch("/interface/ethernet/ether1", json={"mtu": "1400", "comment": "up"})
    assert answer.status_code == 200, answer.text
    row = rest.get("/interface/ether1").json()
    assert (row["name"], row["mtu"], row["comment"]) == ("ether1", "1400", "up")


def test_interface_set_writes_through_to_the_interface_record(rest: httpx.Client) -> None:
    # RouterOS's /interface lists every interface; a set there changes the record itself.
    answer = rest.patch("/interface/ether1", json={"mtu": "1400", "comment": "wan"})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["mtu"], answer.json()["comment"]) == ("1400", "wan")
    ether = rest.get("/interface/ethernet/ether1").json()
    assert (ether["mtu"], ether["comment"]) == ("1400", "wan")
    bridge = rest.put("/interface/bridge", json={"name": "br9"}).json()
    row_id = next(r[".id"] for r in rest.get("/interface").json() if r["name"] == "br9")
    assert rest.post("/interface/set", json={".id": row_id, "comment": "lan"}).json() == []
    assert rest.post("/interface/disable", json={"numbers": "br9"}).json() == []
    assert rest.get(f"/interface/bridge/{bridge['.id']}").json()["comment"] == "lan"
    assert rest.get("/interface/br9").json()["disabled"] == "true"
    got = rest.post("/interface/get", json={"number": "br9", "value-name": "type"})
    assert got.json() == {"ret": "bridge"}
    assert rest.patch("/interface/nope", json={"comment": "x"}).status_code == 404
    taken = rest.patch("/interface/ether1", json={"name": "br9"})  # names shared by all kinds
    assert taken.json()["detail"] == "failure: already have interface with such name"
    bad = rest.patch("/interface/ether1", json={"comment": "other", "bogus": "1"})
    assert (bad.status_code, bad.json()["detail"]) == (400, "unknown parameter bogus")
    assert rest.get("/interface/ether1").json()["comment"] == "wan"
    assert rest.delete("/interface/ether1").status_code == 406  # /interface has no remove
