"""A machine's whole life on real QEMU with the test guest: run, ls, exec, logs, stop, start, rm.

On machines where /dev/kvm opens but KVM cannot run the boot code, ``--accel auto`` must end up
under TCG and say so; elsewhere it runs under KVM.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from mikrodock.chr import accel, machine, status
from mikrodock.chr.state import load_record, machines_root
from mikrodock.testing.sim_fixtures import wait_until

pytestmark = [pytest.mark.qemu, pytest.mark.slow, pytest.mark.usefixtures("no_machines_left")]


def _qemu_alive(pid: int) -> bool:
    try:
        return "qemu" in Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return False


def _lan_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
            address = str(probe.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_run_ls_exec_logs_stop_start_rm(guest_disk: Path, run_cli: Any
                                        ) -> None:  # fmt: skip
    code, out, err = run_cli("chr", "run", "--image", str(guest_disk), "--name", "r1")
    assert code == 0, err
    assert "r1 ready in" in out and "credentials: user admin, password in" in out
    record = load_record("r1")
    if accel.candidates("auto", "x86_64")[0] == "kvm" and record.accel == "tcg":
        assert "starting r1 again under TCG" in err  # the fallback is said out loud
    password_file = record.dir / "password"
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    # the router writes its password into its disk: as private as the password file
    assert stat.S_IMODE((record.dir / "disk.qcow2").stat().st_mode) == 0o600
    password = password_file.read_text().strip()
    assert password and password not in out + err
    resource = f"{record.url}/rest/system/resource"
    assert httpx.get(resource, auth=("admin", password), timeout=30).json()["board-name"]
    assert httpx.get(resource, auth=("admin", ""), timeout=30).status_code == 401

    lan = _lan_address()
    if lan:  # forwarded ports answer on 127.0.0.1 only
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://{lan}:{record.http_port}/", timeout=2)

    code, out, _ = run_cli("chr", "ls", "--json")
    [row] = json.loads(out)
    assert row["name"] == "r1" and row["state"] == "running" and row["accel"] == record.accel
    assert set(row["ports"]) == {"80", "22", "8728", "8729", "8291"}

    code, out, _ = run_cli("chr", "exec", "r1", ':put "hello"')
    assert (code, out) == (0, "hello\n")
    code, out, _ = run_cli("chr", "logs", "r1")
    assert "MikroTik" in out
    code, out, _ = run_cli("chr", "ssh-config", "r1")
    assert f"Port {record.host_port(22)}" in out

    pid = record.pid
    code, _, err = run_cli("chr", "rm", "r1")
    assert code == 2 and "is running" in err
    assert run_cli("chr", "stop", "r1")[0] == 0
    assert not _qemu_alive(pid)
    assert [m.state for m in status.list_machines()] == ["stopped"]
    assert not (record.dir / "qmp.sock").exists()

    code, out, err = run_cli("chr", "start", "r1", "--json")
    assert code == 0, err
    assert json.loads(out)["url"] == load_record("r1").url  # --json as chr run gives it
    # the password survived the reboot: it lives on the router's disk (the overlay)
    assert httpx.get(resource, auth=("admin", password), timeout=30).status_code == 200
    pid = load_record("r1").pid
    assert run_cli("chr", "rm", "-f", "r1")[0] == 0
    assert not _qemu_alive(pid) and not record.dir.exists()


def test_two_runs_at_once_never_clash(guest_disk: Path) -> None:
    results: list[machine.RunResult] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            request = machine.RunRequest(image_path=guest_disk, password="", accel="tcg")
            results.append(machine.run(request))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, [str(e) for e in errors]
    first, second = (r.record for r in results)
    assert first.name != second.name
    assert not {p.host for p in first.ports} & {p.host for p in second.ports}
    for record in (first, second):
        resource = f"{record.url}/rest/system/resource"
        assert httpx.get(resource, auth=("admin", ""), timeout=30).is_success


def _qemu_of(name: str) -> bool:
    """Whether a process of machine ``name`` runs (processes may end while we look)."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if f"machines/{name}/" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"):
                return True
        except OSError:
            continue
    return False


def test_failed_run_leaves_nothing_behind(tmp_path: Path) -> None:
    blank = tmp_path / "noboot.img"
    data = bytearray(4 << 20)
    data[510:512] = b"\x55\xaa"  # a partition table but nothing that boots
    blank.write_bytes(bytes(data))
    request = machine.RunRequest(image_path=blank, name="dud", accel="tcg", timeout=3)
    with pytest.raises(Exception, match="did not become ready"):
        machine.run(request)
    assert list(machines_root().iterdir()) == []
    assert not _qemu_of("dud")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_run_stops_at_once_and_leaves_nothing_behind(
    tmp_path: Path, signum: signal.Signals
) -> None:
    # a disk that never boots: without giving up the wait, `run` would sit out its timeout
    blank = tmp_path / "noboot.img"
    data = bytearray(4 << 20)
    data[510:512] = b"\x55\xaa"
    blank.write_bytes(bytes(data))
    argv = [str(Path(sys.executable).with_name("mikrodock")), "chr", "run", "--image", str(blank)]
    argv += ["--name", "cut", "--accel", "tcg", "--password-stdin", "--timeout", "600"]
    secret = tmp_path / "password"
    secret.write_text("pw-for-the-test\n")
    with secret.open() as stdin:
        proc = subprocess.Popen(
            argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    wait_until(lambda: _qemu_of("cut"), timeout=60)
    time.sleep(1.5)  # well into the wait for the router to answer
    proc.send_signal(signum)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == (130 if signum == signal.SIGINT else 143), err
    assert list(machines_root().iterdir()) == []
    assert not _qemu_of("cut")


def test_dead_machine_and_stray_qemu_are_found_and_cleaned(guest_disk: Path) -> None:
    dead = machine.run(machine.RunRequest(image_path=guest_disk, name="dead", password="",
                                          accel="tcg")).record  # fmt: skip
    stray = machine.run(machine.RunRequest(image_path=guest_disk, name="stray", password="",
                                           accel="tcg")).record  # fmt: skip
    os.kill(dead.pid, 9)
    import shutil

    shutil.rmtree(stray.dir)
    found = {m.name: m.state for m in status.list_machines()}
    assert found == {"dead": "dead", "stray": "stray"}
    # a machine whose QEMU was killed starts again (booted once, so its disk has a router)
    again = machine.start("dead", timeout=120).record
    assert again.pid != dead.pid and status.running_pid(again)
    assert {m.name: m.state for m in status.list_machines()}["dead"] == "running"
    machine.remove("dead", force=True)
    machine.remove("stray")
    assert status.list_machines() == []
    assert not _qemu_alive(stray.pid)


def test_device_mode_is_applied_with_a_power_cycle(guest_disk: Path, run_cli: Any) -> None:
    argv = ["--image", str(guest_disk), "--name", "dm", "--device-mode", "container=yes"]
    code, _, err = run_cli("chr", "run", "--accel", "tcg", *argv)
    assert code == 0, err
    record = load_record("dm")
    password = (record.dir / "password").read_text().strip()
    url = f"{record.url}/rest/system/device-mode"
    mode = httpx.get(url, auth=("admin", password), timeout=30).json()  # a loaded host is slow
    assert mode["container"] in ("yes", "true")


def test_console_attach_and_detach(guest_disk: Path) -> None:
    import io
    import time

    from mikrodock.chr.console import attach

    machine.run(machine.RunRequest(image_path=guest_disk, name="con", password="", accel="tcg"))
    read_end, write_end = os.pipe()
    out = io.BytesIO()

    def type_then_detach() -> None:
        os.write(write_end, b"admin\r")
        deadline = time.monotonic() + 30
        while b"Password" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.write(write_end, b"\x1d")  # Ctrl-]

    typist = threading.Thread(target=type_then_detach)
    typist.start()
    attach("con", stdin=read_end, stdout=out)  # returns on the detach key
    typist.join()
    os.close(read_end)
    os.close(write_end)
    assert b"Password" in out.getvalue()
    assert status.list_machines()[0].state == "running"  # detaching leaves it running
