"""Snapshots on real QEMU: save a running guest, clone routers from it, restore it."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from mikrodock.chr import machine, snapshots, state
from mikrodock.chr.qmp import qmp_call
from mikrodock.chr.state import load_record

pytestmark = [pytest.mark.qemu, pytest.mark.slow, pytest.mark.usefixtures("no_machines_left")]


def _resource(url: str, password: str) -> httpx.Response:
    return httpx.get(f"{url}/rest/system/resource", auth=("admin", password), timeout=5)


def _mac_inside(url: str, password: str) -> str:
    answer = httpx.get(f"{url}/rest/interface", auth=("admin", password), timeout=10)
    return str(answer.json()[0]["mac-address"])


def _clock_inside(url: str, password: str) -> float:
    clock = httpx.get(f"{url}/rest/system/clock", auth=("admin", password), timeout=10).json()
    moment = datetime.strptime(f"{clock['date']} {clock['time']}", "%Y-%m-%d %H:%M:%S")
    return moment.replace(tzinfo=UTC).timestamp()


def _qemu_argv(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")


def test_save_clone_restore(
    guest_disk: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = machine.run(machine.RunRequest(image_path=guest_disk, name="src", accel="tcg"))
    src = source.record
    password = (src.dir / "password").read_text().strip()

    # a clock far off in the snapshot: a restored router must not keep it
    with httpx.Client(auth=("admin", password)) as client:
        wrong = {"date": "2020-01-02", "time": "03:04:05"}
        assert client.post(f"{src.url}/rest/system/clock/set", json=wrong).is_success
    code, out, err = run_cli("chr", "snapshot", "save", "src", "ready")
    assert code == 0, err
    assert _resource(src.url, password).status_code == 200  # the source keeps running

    written: list[str] = []
    write = state.atomic_write

    def recording(path: Path, text: str, **kwargs: Any) -> None:
        if path.name == "machine.json":
            written.append(json.loads(text)["status"])
        write(path, text, **kwargs)

    monkeypatch.setattr(state, "atomic_write", recording)
    code, out, err = run_cli("chr", "run", "--from", "src:ready", "--name", "c1")
    assert code == 0, err
    assert written == ["creating", "running"]  # one save per state of the clone
    c1 = load_record("c1")
    assert _resource(c1.url, password).json()["board-name"]
    assert not {p.host for p in c1.ports} & {p.host for p in src.ports}
    assert c1.mac != src.mac and f"mac={c1.mac}" in _qemu_argv(c1.pid)
    # inside the router and in QEMU's NIC too (the restored NIC state carried src's address)
    assert _mac_inside(c1.url, password) == c1.mac.upper()
    assert _mac_inside(src.url, password) == src.mac.upper()
    [nic] = qmp_call(c1.dir / "qmp.sock", "query-rx-filter")
    assert nic["main-mac"].upper() == c1.mac.upper()
    assert abs(_clock_inside(c1.url, password) - time.time()) < 30
    assert c1.source == "src:ready"
    assert c1.routeros_version == src.routeros_version == "7.22.3"  # as the routers report it
    assert snapshots.load_snapshot("src", "ready").routeros_version == "7.22.3"
    disk_bytes = (c1.dir / "disk.qcow2").stat().st_size
    assert disk_bytes < 2 << 20  # a clone's own disk is a small overlay

    code, _, err = run_cli("chr", "run", "--image", str(guest_disk), "--name", "c1")
    assert code == 2 and "already exists" in err

    # change the router, then restore: the old password works again
    with httpx.Client(auth=("admin", password)) as client:
        client.post(f"{src.url}/rest/user/set", json={"numbers": "admin", "password": "other"})
    assert _resource(src.url, password).status_code == 401
    code, out, err = run_cli("chr", "snapshot", "restore", "src", "ready")
    assert code == 0, err
    assert _resource(src.url, password).status_code == 200
    assert abs(_clock_inside(src.url, password) - time.time()) < 30
    assert _mac_inside(src.url, password) == src.mac.upper()

    code, out, _ = run_cli("chr", "snapshot", "ls", "--json")
    [snap] = json.loads(out)
    assert (snap["machine"], snap["tag"]) == ("src", "ready")
    code, _, err = run_cli("chr", "snapshot", "rm", "src", "ready")
    assert code == 2 and "cloned from" in err

    # the snapshot outlives its machine; clones keep working
    machine.remove("src", force=True)
    clone2 = snapshots.clone("src:ready", name="c2")
    assert _resource(clone2.record.url, password).status_code == 200
    machine.remove("c1", force=True)
    machine.remove("c2", force=True)
    assert run_cli("chr", "snapshot", "rm", "src", "ready")[0] == 0
    assert snapshots.list_snapshots() == []


def test_snapshot_of_a_stopped_machine_is_refused(run_cli: Any) -> None:
    code, _, err = run_cli("chr", "snapshot", "save", "ghost", "t")
    assert code == 2 and "no machine named 'ghost'" in err
    code, _, err = run_cli("chr", "run", "--from", "ghost:t")
    assert code == 2 and "no snapshot ghost:t" in err
