"""The simulator's answers against real RouterOS answers published by others.

``data/rest_captures.json`` holds REST answers captured on real routers (each entry names its
public source). Values that differ between routers (uptime, memory, ids) are not compared:
the shape is (which fields a record has), and error answers are compared whole.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from mikrodock.sim import Simulator

_CAPTURES = {
    entry["id"]: entry
    for entry in json.loads((Path(__file__).parent / "data" / "rest_captures.json").read_text())[
        "examples"
    ]
}


def _client(sim: Simulator) -> httpx.Client:
    return httpx.Client(base_url=f"{sim.url}/rest", auth=(sim.user, sim.password), timeout=10)


@pytest.fixture
def rest_for(routeros_sim_factory: Any) -> Any:
    made: list[httpx.Client] = []

    def make(version: str) -> httpx.Client:
        made.append(_client(routeros_sim_factory(version=version)))
        return made[-1]

    yield make
    for client in made:
        client.close()


def test_system_resource_has_the_fields_of_a_chr(rest_for: Any) -> None:
    capture = _CAPTURES["system-resource-7.19.4"]
    answer = rest_for("7.19.4").get("/system/resource")
    assert answer.status_code == capture["status"]
    assert answer.json().keys() == capture["body"].keys()


def test_device_mode_and_its_update_errors(rest_for: Any) -> None:
    rest = rest_for("7.22.1")
    capture = _CAPTURES["device-mode-get-7.22.1"]
    assert rest.get("/system/device-mode").json().keys() == capture["body"].keys()
    bodies = {
        "invalid mode": {"mode": "bogus"},
        "unknown parameter": {"nonexistent": "1"},
        "timeout out of range": {"activation-timeout": "1s", "container": "yes"},
    }
    for case in _CAPTURES["device-mode-update-errors-7.22.1"]["responses"]:
        if case["case"] not in bodies:
            continue
        answer = rest.post("/system/device-mode/update", json=bodies[case["case"]])
        assert (answer.status_code, answer.json()) == (case["status"], case["body"]), case


def test_service_patch_and_a_certificate_that_does_not_exist(rest_for: Any) -> None:
    rest = rest_for("7.23.3")
    made = rest.put("/certificate", json={"name": "example.com-2025-11-12", "common-name": "x"})
    assert made.status_code == 201
    capture = _CAPTURES["ip-service-patch-7.19.4"]
    patched = rest.patch("/ip/service/*6", json={"certificate": "example.com-2025-11-12"})
    assert (patched.status_code, patched.json().keys()) == (200, capture["body"].keys())
    assert patched.json()["name"] == "www-ssl"
    refused, executed = _CAPTURES["set-invalid-value-and-execute-7.23.3"]["responses"][:2]
    answer = rest.patch("/ip/service/*6", json={"certificate": "nope"})
    assert (answer.status_code, answer.json()) == (refused["status"], refused["body"])
    script = {"script": "/ip/service/set www-ssl certificate=nope", "as-string": ""}
    answer = rest.post("/execute", json=script)
    assert answer.status_code == executed["status"]
    assert answer.json()["ret"].startswith("input does not match any value of certificate")


def test_address_and_nat_records_have_the_fields_real_ones_have(rest_for: Any) -> None:
    rest = rest_for("7.22.3")
    made = rest.put("/ip/address", json={"address": "10.0.0.1/24", "interface": "ether1"})
    assert made.json().keys() == _CAPTURES["ip-address-item"]["body"].keys()
    nat = {"chain": "srcnat", "action": "masquerade", "out-interface": "ether1"}
    rule = rest.put("/ip/firewall/nat", json={**nat, "src-address-list": "LAN"})
    assert rule.json().keys() == _CAPTURES["ip-firewall-nat-item"]["body"].keys()
