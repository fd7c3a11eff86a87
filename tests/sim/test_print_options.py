"""print's options over REST (POST .../print, GET ?...) and the API: those that change the
answer on RouterOS change it here; those that only change the console's rendering are
accepted and change nothing."""

from __future__ import annotations

import httpx

from mikrodock.sim import Simulator

from .test_api_protocol import Raw


def _three(rest: httpx.Client) -> list[str]:
    ids = []
    for n in (1, 2, 3):
        body = {"address": f"192.0.2.{n}/24", "interface": "ether1", "comment": f"c{n}"}
        made = rest.put("/ip/address", json=body)
        assert made.status_code in (200, 201), made.text
        ids.append(made.json()[".id"])
    return ids


def test_rest_print_options_that_change_the_answer(rest: httpx.Client) -> None:
    ids = _three(rest)
    every = rest.post("/ip/address/print", json={}).json()
    assert [r[".id"] for r in every] == ids
    assert rest.post("/ip/address/print", json={"count-only": ""}).json() == {"ret": "3"}
    picked = rest.post("/ip/address/print", json={"from": f"{ids[2]},{ids[0]}"}).json()
    assert [r[".id"] for r in picked] == [ids[0], ids[2]]  # print order, not the asked order
    props = rest.post("/ip/address/print", json={".proplist": ["address", ".id"]}).json()
    assert props[0] == {".id": ids[0], "address": "192.0.2.1/24"}
    assert rest.post("/ip/address/print", json={".proplist": "comment"}).json()[1] == {
        "comment": "c2"
    }
    query = {".query": ["comment=c1", "comment=c3", "#|"], "count-only": ""}
    assert rest.post("/ip/address/print", json=query).json() == {"ret": "2"}
    both = rest.post("/ip/address/print", json={"from": ids[1], ".query": ["comment=c1"]})
    assert both.json() == []
    missing = rest.post("/ip/address/print", json={"from": "*999"})
    assert (missing.status_code, missing.json()["detail"]) == (400, "no such item")
    by_get = rest.get("/ip/address", params={".proplist": "comment", "comment": "c3"}).json()
    assert by_get == [{"comment": "c3"}]


def test_rest_print_options_of_the_console_change_nothing(rest: httpx.Client) -> None:
    _three(rest)
    plain = rest.post("/ip/address/print", json={}).json()
    for option in ("detail", "terse", "without-paging", "brief", "show-ids"):
        answer = rest.post("/ip/address/print", json={option: ""})
        assert answer.status_code == 200, (option, answer.text)
        assert answer.json() == plain, option
    unknown = rest.post("/ip/address/print", json={"colour": ""})
    assert (unknown.status_code, unknown.json()["detail"]) == (400, "unknown parameter colour")


def test_api_print_options(routeros_sim: Simulator, rest: httpx.Client) -> None:
    ids = _three(rest)
    assert routeros_sim.api_port is not None
    raw = Raw(routeros_sim.api_port)
    try:
        raw.login(routeros_sim)
        raw.send("/ip/address/print", "=count-only=", "?comment=c2")
        assert raw.until_done() == [["!done", "=ret=1"]]
        raw.send("/ip/address/print", f"=from={ids[1]}", "=.proplist=comment")
        assert raw.until_done() == [["!re", "=comment=c2"], ["!done"]]
        raw.send("/ip/address/print", "?comment=c1", "?comment=c3", "?#|", "=.proplist=.id")
        assert raw.until_done() == [["!re", f"=.id={ids[0]}"], ["!re", f"=.id={ids[2]}"], ["!done"]]
        raw.send("/ip/address/print", "=detail=", "=without-paging=", "=.proplist=comment")
        assert [s[0] for s in raw.until_done()] == ["!re", "!re", "!re", "!done"]
    finally:
        raw.sock.close()
