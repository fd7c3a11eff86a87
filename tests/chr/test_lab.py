"""Labs on real QEMU: routers and UDP-socket links from one file, up and down together."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mikrodock.chr.state import load_record
from mikrodock.lab import machines as lab_mod
from mikrodock.lab.labfile import parse_lab


def test_links_pair_ports_and_keep_interface_numbers() -> None:
    lab = parse_lab("routers: {a: {}, b: {}, c: {}}\nlinks: [a:ether2=b:ether3, b:ether2=c:ether2]")
    counter = iter(range(100))
    nics = lab_mod.plan_links(lab, list(range(50000, 50020)), lambda: f"mac{next(counter)}")
    a2, (b2, b3), c2 = nics["a"][0], nics["b"], nics["c"][0]
    assert (a2.remote, b3.remote) == (b3.local, a2.local)
    assert (b2.remote, c2.remote) == (c2.local, b2.local)
    assert len(nics["a"]) == 1 and len(nics["b"]) == 2
    assert a2.peer == "b:ether3"
    locals_ = [nic.local for found in nics.values() for nic in found]
    assert len(set(locals_)) == len(locals_)


def _udp_bound(port: int) -> bool:
    hex_port = f":{port:04X} "
    return any(hex_port in line for line in Path("/proc/net/udp").read_text().splitlines())


@pytest.mark.qemu
@pytest.mark.slow
@pytest.mark.usefixtures("no_machines_left")
def test_lab_up_ls_down(guest_disk: Path, tmp_path: Path,
                        run_cli: Any) -> None:  # fmt: skip
    (tmp_path / "hello.rsc").write_text(':put "configured"\n')
    lab_file = tmp_path / "pair.yaml"
    lab_file.write_text(
        f"name: pair\ndefaults: {{image: {guest_disk}}}\n"
        "routers:\n  r1: {startup: hello.rsc}\n  r2: {}\n"
        "links:\n  - r1:ether2=r2:ether2\n"
    )
    code, out, err = run_cli("lab", "up", str(lab_file))
    assert code == 0, err
    r1, r2 = load_record("pair-r1"), load_record("pair-r2")
    [n1], [n2] = r1.links, r2.links
    assert (n1.remote, n2.remote) == (n2.local, n1.local)
    assert _udp_bound(int(n1.local)) and _udp_bound(int(n2.local))  # QEMU holds both ends
    assert n1.mac != n2.mac
    code, out, _ = run_cli("lab", "ls", "--json")
    assert json.loads(out) == [
        {"name": "pair", "machines": {"pair-r1": "running", "pair-r2": "running"}}
    ]
    code, _, err = run_cli("lab", "up", str(lab_file))
    assert code == 2 and "already up" in err
    code, out, _ = run_cli("lab", "down", str(lab_file))
    assert code == 0 and sorted(out.split()) == ["pair-r1", "pair-r2"]
    assert lab_mod.lab_ls() == []


@pytest.mark.qemu
@pytest.mark.slow
@pytest.mark.usefixtures("no_machines_left")
def test_lab_up_tells_each_routers_phases(guest_disk: Path, tmp_path: Path) -> None:
    (tmp_path / "hello.rsc").write_text(':put "configured"\n')
    lab_file = tmp_path / "one.yaml"
    lab_file.write_text(
        f"name: one\ndefaults: {{image: {guest_disk}}}\nrouters:\n  r1: {{startup: hello.rsc}}\n"
    )
    heard: list[tuple[str, str]] = []
    lab_mod.lab_up(lab_file, phase=lambda router, text: heard.append((router, text)))
    try:
        said = [text for router, text in heard if router == "r1"]
        assert any("waiting for one-r1 to answer" in text for text in said), said
        assert said[-2:] == ["running its startup script hello.rsc", "ready"]
    finally:
        lab_mod.lab_down("one")
