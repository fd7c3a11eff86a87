"""``machine.json``: a typed record in Python, JSON only on disk; records written by earlier
releases still read; a ``chr run`` writes the record once per state change; ``chr ls`` shows the
version the router reports; ``chr run`` and ``Chr().run`` build the same request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mikrodock.chr import guard, machine, state
from mikrodock.chr.api import Chr
from mikrodock.chr.machine import RunRequest, RunResult
from mikrodock.chr.state import Link, MachineRecord, PortForward, load_record

EARLIER = {
    "name": "old", "arch": "x86_64", "version": "local-4aa5c0ffee12", "base_image": "/img/chr.img",
    "memory_mib": 256, "cpus": 1, "accel_requested": "auto", "mac": "52:54:00:12:34:56",
    "ports": {"80": 20080, "22": 20022, "8291": 20291}, "publish_all": False, "accel": "tcg",
    "status": "stopped", "pid": 0, "started_at": 1764670000.5, "created_at": 0.0,
    "user": "admin", "password_file": "password", "source": "", "firmware_code": "",
    "lab": "pair", "notes": [], "provision_port": 0,
    # a lab NIC as earlier releases wrote it: no interface name, no peer_machine
    "links": [{"local": 40001, "remote": 40002, "mac": "52:54:00:00:00:aa", "peer": "r2:ether2"}],
}  # fmt: skip
"""a machine.json as the release before typed records wrote it"""


def test_a_record_of_an_earlier_release_reads_typed() -> None:
    record = MachineRecord.from_dict(EARLIER)
    assert record.ports == (
        PortForward(22, 20022), PortForward(80, 20080), PortForward(8291, 20291)
    )  # fmt: skip
    assert record.http_port == 20080 and record.host_port(8728) == 0
    assert record.links == [
        Link(interface="ether2", local=40001, remote=40002, mac="52:54:00:00:00:aa",
             peer="r2:ether2")
    ]  # fmt: skip
    assert record.base_image == Path("/img/chr.img") and record.firmware_code is None
    assert record.image == "local-4aa5c0ffee12" and record.routeros_version == ""
    assert record.version == "local-4aa5c0ffee12"  # until the router says which it is
    # written again, it keeps the shape others read (ports as guest -> host)
    data = json.loads(record.to_json())
    assert data["ports"] == EARLIER["ports"] and data["version"] == EARLIER["version"]
    assert MachineRecord.from_dict(data) == record


def test_the_reported_version_is_kept_and_shown() -> None:
    record = MachineRecord.from_dict({**EARLIER, "routeros_version": "7.22.3"})
    assert (record.image, record.version) == ("local-4aa5c0ffee12", "7.22.3")


_PORTS = st.lists(
    st.builds(PortForward, st.integers(1, 65535), st.integers(0, 65535)),
    unique_by=lambda p: p.guest,
).map(lambda found: tuple(sorted(found)))
_MACS = st.lists(st.integers(0, 255), min_size=6, max_size=6).map(
    lambda octets: ":".join(f"{o:02x}" for o in octets)
)
_LINKS = st.lists(
    st.builds(
        Link,
        interface=st.integers(2, 40).map(lambda n: f"ether{n}"),
        local=st.integers(0, 65535),
        remote=st.integers(0, 65535),
        mac=_MACS,
        peer=st.text(max_size=10),
        peer_machine=st.text(max_size=10),
        hotplug=st.booleans(),
        tap=st.from_regex(r"[a-z0-9]{0,15}", fullmatch=True),
    ),
    max_size=3,
)
_RECORDS = st.builds(
    MachineRecord,
    name=st.from_regex(r"[a-z0-9][a-z0-9_-]{0,10}", fullmatch=True),
    arch=st.sampled_from(["x86_64", "aarch64"]),
    image=st.text(max_size=12),
    base_image=st.text(min_size=1, max_size=12).filter(lambda t: "\0" not in t).map(Path),
    memory_mib=st.integers(128, 1 << 16),
    cpus=st.integers(1, 64),
    accel_requested=st.sampled_from(["auto", "kvm", "tcg"]),
    ports=_PORTS,
    mac=_MACS,
    accel=st.sampled_from(["", "kvm", "hvf", "tcg"]),
    status=st.sampled_from(["created", "creating", "provisioning", "running", "stopped"]),
    pid=st.integers(0, 1 << 22),
    started_at=st.floats(0, 2e9),
    password_file=st.sampled_from(["", "password"]),
    links=_LINKS,
    firmware_code=st.none() | st.sampled_from([Path("/usr/share/AAVMF/AAVMF_CODE.fd")]),
    provision_port=st.integers(0, 65535),
    routeros_version=st.sampled_from(["", "7.22.3", "7.23beta2"]),
)


@given(_RECORDS)
def test_every_record_comes_back_as_it_was_written(record: MachineRecord) -> None:
    assert MachineRecord.from_dict(json.loads(record.to_json())) == record


def test_chr_run_and_the_python_api_build_the_same_request(
    run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[RunRequest] = []

    def capture(request: RunRequest, **_: object) -> RunResult:
        seen.append(request)
        raise SystemExit(0)

    monkeypatch.setattr("mikrodock.chr.launch.launch", capture)
    monkeypatch.setattr("mikrodock.chr.api.launch", capture)
    run_cli("chr", "run", "--from", "src:ready", "--name", "c1", "-p", "8080:80", "--timeout", "9")
    with pytest.raises(SystemExit):
        Chr().run(from_snapshot="src:ready", name="c1", ports=("8080:80",), timeout=9)
    cli, api = seen
    assert type(cli) is type(api) is RunRequest and cli == api


@pytest.mark.qemu
@pytest.mark.slow
@pytest.mark.usefixtures("no_machines_left")
def test_a_run_saves_once_per_state_and_keeps_the_reported_version(
    guest_disk: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    written: list[tuple[str, str]] = []
    write = state.atomic_write

    def recording(path: Path, text: str, **kwargs: Any) -> None:
        if path.name == "machine.json":
            data = json.loads(text)
            written.append((data["name"], data["status"]))
        write(path, text, **kwargs)

    monkeypatch.setattr(state, "atomic_write", recording)
    result = machine.run(RunRequest(image_path=guest_disk, name="r1", accel="tcg"))
    assert written == [("r1", "provisioning"), ("r1", "running")]
    record = load_record("r1")
    assert record.routeros_version == "7.22.3"  # the test guest reports 7.22.3 (stable)
    assert record.image.startswith("local-") and result.record == record
    code, out, err = run_cli("chr", "ls")
    assert code == 0, err
    [row] = [line.split() for line in out.splitlines() if line.startswith("r1 ")]
    assert row[1] == "7.22.3"
    code, out, _ = run_cli("chr", "ls", "--json")
    [listed] = json.loads(out)
    assert listed["version"] == "7.22.3" and listed["image"] == record.image

    written.clear()
    machine.stop("r1")
    machine.start("r1", timeout=120)
    assert written == [("r1", "stopped"), ("r1", "running")]  # the version did not change


def test_a_machine_being_created_is_not_stopped_or_removed_without_force(run_cli: Any) -> None:
    # its chr run holds the record without a pid until it is provisioned (one save per state)
    record = MachineRecord.from_dict({**EARLIER, "name": "new", "status": "provisioning"})
    record.dir.mkdir(mode=0o700)
    held = guard.Unfinished(record.dir)  # as the chr run working on it holds it
    try:
        state.save_record(record)
        for command in ("stop", "rm"):
            code, _, err = run_cli("chr", command, "new")
            assert code == 2 and "still being created" in err and "chr rm -f new" in err
            assert load_record("new").status == "provisioning"
        assert run_cli("chr", "rm", "-f", "new").code == 0
        assert not record.dir.exists()
    finally:
        held.release()
