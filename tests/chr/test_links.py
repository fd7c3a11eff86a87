"""``chr run --link PEER:etherN``: a new machine wired to a running one (hot-plugged NIC)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mikrodock.chr.links import LinkRequest, parse_link
from mikrodock.chr.state import load_record, machine_dir
from mikrodock.errors import UsageError


def test_parse_link_forms() -> None:
    assert parse_link("r1:ether2") == LinkRequest("r1", 2)
    assert parse_link("lab-r1:ether12=ether3") == LinkRequest("lab-r1", 12, 3)
    for bad in ("r1", "r1:eth2", "r1:ether1", "r1:ether2=r2", "R1:ether2", "r1:ether2=ether1", ""):
        with pytest.raises(UsageError, match="bad --link"):
            parse_link(bad)


@given(st.text(max_size=30))
def test_parse_link_any_text_parses_or_is_refused(text: str) -> None:
    try:
        found = parse_link(text)
    except UsageError as error:
        assert "PEER:etherN" in error.one_line()
        return
    assert found.peer_ether >= 2 and (found.ether == 0 or found.ether >= 2)
    assert text.strip().startswith(f"{found.peer}:ether{found.peer_ether}")


def _interfaces(url: str) -> dict[str, str]:
    answer = httpx.get(f"{url}/rest/interface", auth=("admin", ""), timeout=10)
    answer.raise_for_status()
    return {item["name"]: item["mac-address"] for item in answer.json()}


def _wait_interface(url: str, name: str, within: float = 60.0) -> dict[str, str]:
    deadline = time.monotonic() + within
    while True:
        found = _interfaces(url)
        if name in found or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def _refused(run_cli: Any, guest: Path, name: str, *link: str) -> str:
    code, out, err = run_cli("chr", "run", "--image", str(guest), "--name", name,
                             "--no-password", *link)  # fmt: skip
    assert code == 2, (out, err)
    assert len(err.strip().splitlines()) == 1, err
    assert not machine_dir(name).exists()
    return err


@pytest.mark.qemu
@pytest.mark.slow
@pytest.mark.usefixtures("no_machines_left")
def test_link_to_running_machine(guest_disk: Path, run_cli: Any) -> None:
    code, _, err = run_cli("chr", "run", "--image", str(guest_disk), "--name", "r1",
                           "--no-password", "--accel", "tcg", "-d")  # fmt: skip
    assert code == 0, err  # -d: returns once ready (the default), the machine keeps running
    before = load_record("r1")

    assert "no machine named 'nope'" in _refused(run_cli, guest_disk, "r2", "--link", "nope:ether2")
    assert "bad --link" in _refused(run_cli, guest_disk, "r2", "--link", "r1:eth2")
    assert "becomes ether2" in _refused(run_cli, guest_disk, "r2", "--link", "r1:ether3")
    assert load_record("r1").links == before.links == []

    code, out, err = run_cli("chr", "run", "--image", str(guest_disk), "--name", "r2",
                             "--no-password", "--accel", "tcg", "--link", "r1:ether2")  # fmt: skip
    assert code == 0, err
    assert "ether2 linked to r1:ether2" in out
    r1, r2 = load_record("r1"), load_record("r2")
    [n1], [n2] = r1.links, r2.links
    assert (n1.peer, n2.peer) == ("r2:ether2", "r1:ether2")
    assert (n1.remote, n2.remote) == (n2.local, n1.local)
    assert len({n1.mac, n2.mac, r1.mac, r2.mac}) == 4

    code, out, _ = run_cli("chr", "ls", "--json")
    links = {item["name"]: item["links"] for item in json.loads(out)}
    assert [(x["interface"], x["peer"]) for x in links["r1"]] == [("ether2", "r2:ether2")]
    assert [(x["interface"], x["peer"]) for x in links["r2"]] == [("ether2", "r1:ether2")]

    # Both guests' kernels see the new NIC: r1's was hot-plugged while it ran.
    seen1 = _wait_interface(r1.url, "ether2")
    assert seen1.get("ether2") == str(n1.mac).upper(), seen1
    seen2 = _wait_interface(r2.url, "ether2")
    assert seen2.get("ether2") == str(n2.mac).upper(), seen2

    code, _, err = run_cli("chr", "snapshot", "save", "r1", "t1")
    assert code == 2 and "hot-plugged" in err  # QEMU could not restore it with that NIC

    # A second link to r1 takes its next interface (and the next free hot-plug slot).
    code, out, err = run_cli("chr", "run", "--image", str(guest_disk), "--name", "r3",
                             "--no-password", "--accel", "tcg",
                             "--link", "r1:ether3=ether4")  # fmt: skip
    assert code == 0, err
    assert [n.peer for n in load_record("r1").links] == ["r2:ether2", "r3:ether4"]
    r3 = load_record("r3")
    assert [(n.interface, n.peer) for n in r3.links] == [
        ("ether2", ""), ("ether3", ""), ("ether4", "r1:ether3"),
    ]  # fmt: skip
    seen1 = _wait_interface(r1.url, "ether3")
    assert seen1.get("ether3") == str(load_record("r1").links[1].mac).upper(), seen1
    assert _wait_interface(r3.url, "ether4").get("ether4") == str(r3.links[2].mac).upper()

    code, _, err = run_cli("chr", "rm", "-f", "r2")
    assert code == 0, err
    n1, _ = load_record("r1").links
    assert n1.peer == "" and n1.interface == "ether2"  # the cable is unplugged; ether2 stays

    code, _, err = run_cli("chr", "stop", "--force", "r1")
    assert code == 0, err
    assert "r1 is not running" in _refused(run_cli, guest_disk, "r4", "--link", "r1:ether4")
    assert len(load_record("r1").links) == 2
    code, _, err = run_cli("chr", "rm", "r1")
    assert code == 0, err
    assert [n.peer for n in load_record("r3").links] == ["", "", ""]
