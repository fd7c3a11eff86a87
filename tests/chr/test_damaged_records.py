"""A damaged ``machine.json`` (wrong types, missing fields, not JSON) shows as damaged in
``chr ls`` and goes with ``chr rm -f``; other machines are unaffected. A full disk keeps the old
record and contexts and says which disk, in one line."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mikrodock.chr.state import MachineRecord, PortForward, machine_dir, save_record
from mikrodock.contexts import Context, ContextStore
from mikrodock.paths import config_dir


def _good(name: str = "good") -> MachineRecord:
    return MachineRecord(
        name=name, arch="x86_64", image="7.20", base_image=Path("/nowhere"), memory_mib=256,
        cpus=1, accel_requested="auto", ports=(PortForward(22, 20022), PortForward(80, 20080)),
        mac="52:54:00:00:00:01", status="stopped",
    )  # fmt: skip


def _fields() -> dict[str, Any]:
    return json.loads(_good("bad").to_json())


DAMAGE: dict[str, Any] = {
    "ports-a-string": {**_fields(), "ports": "80:8080"},
    "port-not-int": {**_fields(), "ports": {"80": "x"}},
    "port-too-big": {**_fields(), "ports": {"80": 10**30}},
    "memory-a-string": {**_fields(), "memory_mib": "256"},
    "links-dicts-of-junk": {**_fields(), "links": [{"local": "a"}]},
    "name-missing": {k: v for k, v in _fields().items() if k != "name"},
    "another-name": {**_fields(), "name": "../../etc"},
    "password-file-a-path": {**_fields(), "password_file": "../../../../etc/shadow"},
    "a-list": [1, 2, 3],
    "pid-a-bool": {**_fields(), "pid": True},
    "status-unknown": {**_fields(), "status": "flying"},
    "link-local-a-string": {
        **_fields(),
        "links": [{"local": "1", "remote": 2, "mac": "52:54:00:00:00:02"}],
    },
    "guest-port-zero": {**_fields(), "ports": {"0": 20080}},
    # what would reach QEMU's command line as it is: option injection
    "mac-with-options": {**_fields(), "mac": "52:54:00:00:00:01,romfile=/etc/shadow"},
    "link-mac-with-options": {
        **_fields(),
        "links": [{"local": 1, "remote": 2, "mac": "52:54:00:00:00:02,x=y"}],
    },
    "tap-with-options": {
        **_fields(),
        "links": [{"local": 0, "remote": 0, "mac": "52:54:00:00:00:02", "tap": "t,script=/x"}],
    },
    "accel-unknown": {**_fields(), "accel": "whpx"},
    "arch-unknown": {**_fields(), "arch": "mips"},
    "base-image-empty": {**_fields(), "base_image": ""},
}


def _write(name: str, data: object | str) -> None:
    folder = machine_dir(name)
    folder.mkdir(mode=0o700)
    text = data if isinstance(data, str) else json.dumps(data)
    (folder / "machine.json").write_text(text)


def test_damaged_records_show_and_go_without_touching_the_others(run_cli: Any) -> None:
    save_record(_good())
    _write("bad", {**_fields(), "ports": "80:8080"})
    _write("cut", '{"name": "cut", "ports": {')
    code, out, err = run_cli("chr", "ls", "--json")
    assert code == 0, err
    assert {row["name"]: row["state"] for row in json.loads(out)} == {
        "good": "stopped", "bad": "damaged", "cut": "damaged",
    }  # fmt: skip
    code, out, err = run_cli("chr", "ls")
    assert code == 0 and "damaged" in out and "good" in out
    code, _, err = run_cli("chr", "start", "bad")
    assert code == 2 and "damaged" in err and "chr rm -f bad" in err
    assert "Traceback" not in err
    for name in ("bad", "cut"):
        assert run_cli("chr", "rm", "-f", name).code == 0
        assert not machine_dir(name).exists()
    assert machine_dir("good").is_dir()
    code, out, _ = run_cli("chr", "ls", "--json")
    assert [row["name"] for row in json.loads(out)] == ["good"]


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_each_kind_of_damage_is_shown_not_raised(run_cli: Any, kind: str) -> None:
    _write("bad", DAMAGE[kind])
    code, out, err = run_cli("chr", "ls", "--json")
    assert code == 0, err
    assert json.loads(out) == [{**json.loads(out)[0], "name": "bad", "state": "damaged"}]
    assert run_cli("chr", "rm", "-f", "bad").code == 0


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(sorted(_fields())), value=_JSON)
def test_any_json_value_in_any_field_is_a_record_or_a_value_error(field: str, value: Any) -> None:
    data = {**_fields(), field: value}
    try:
        record = MachineRecord.from_dict(data)
    except ValueError:
        return
    assert all(isinstance(p.guest, int) and isinstance(p.host, int) for p in record.ports)
    assert all(isinstance(nic.local, int) and isinstance(nic.mac, str) for nic in record.links)
    assert isinstance(record.memory_mib, int) and isinstance(record.name, str)
    record.to_json()


def _disk_full(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_a_full_disk_keeps_the_contexts_and_names_the_disk(
    run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ContextStore().add(Context("home", "http://127.0.0.1:1", "admin", "pw"))
    before = _files(config_dir())
    _disk_full(monkeypatch)
    monkeypatch.setenv("MIKRODOCK_PASSWORD", "")
    code, _, err = run_cli("context", "add", "lab", "--url", "http://127.0.0.1:2", "--no-verify")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"the disk holding {config_dir()} is full" in err
    assert _files(config_dir()) == before  # same data, no temporary file left
    code, _, err = run_cli("context", "use", "home")
    assert code == 2 and "full" in err


def test_a_full_disk_keeps_the_machine_record(
    run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = _good()
    record.status = "running"  # QEMU gone: stop rewrites the record
    save_record(record)
    before = _files(record.dir)
    _disk_full(monkeypatch)
    code, _, err = run_cli("chr", "stop", "good")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"the disk holding {record.dir} is full" in err and "Traceback" not in err
    assert _files(record.dir) == before
