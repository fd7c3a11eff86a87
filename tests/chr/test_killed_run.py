"""SIGKILL of `chr run` at any moment never leaves a router reachable with its empty password.

A new machine boots with its forwarded ports closed (only a private port to REST, which
`chr run` provisions through); a watchdog kills its QEMU when `chr run` dies before it is
done; the next command shows it as `not provisioned` (ls), refuses it (start) or removes it
(rm, and run). Real QEMU and the test guest; `chr run` killed at three moments.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from mikrodock.chr import machine
from mikrodock.chr.state import MachineRecord, PortForward, load_record, machine_dir
from mikrodock.testing.sim_fixtures import wait_until

pytestmark = [pytest.mark.qemu, pytest.mark.slow, pytest.mark.usefixtures("no_machines_left")]


def _qemu_pids(name: str) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"qemu-system" in argv[0] and any(f"machines/{name}/".encode() in a for a in argv):
            found.append(int(pid))
    return found


def _record(name: str) -> MachineRecord | None:
    try:
        return load_record(name)
    except Exception:
        return None


def _answers_without_password(port: int) -> bool:
    try:
        reply = httpx.get(
            f"http://127.0.0.1:{port}/rest/system/resource", auth=("admin", ""), timeout=2
        )
    except httpx.HTTPError:
        return False
    return reply.status_code == 200


def _booted(name: str) -> bool:
    return bool(_qemu_pids(name))


def _answers_at_all(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/rest/system/resource", auth=("admin", ""), timeout=2)
    except httpx.HTTPError:
        return False
    return True


def _answers_privately(name: str) -> bool:
    record = _record(name)
    return bool(record and record.provision_port and _answers_at_all(record.provision_port))


MOMENTS: dict[str, Callable[[str], bool]] = {
    "record-written": lambda name: _record(name) is not None,
    "qemu-started": _booted,
    "rest-answers-privately": _answers_privately,
}


@pytest.mark.parametrize("moment", sorted(MOMENTS))
def test_a_killed_run_leaves_no_open_router(guest_disk: Path, run_cli: Any, moment: str) -> None:
    argv = [str(Path(sys.executable).with_name("mikrodock")), "chr", "run"]
    argv += ["--image", str(guest_disk), "--name", "k", "--accel", "tcg"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        if moment == "rest-answers-privately":
            # Polling alone loses the race with `chr run`'s own first request (it provisions
            # within milliseconds of the first answer). So `chr run` is frozen once QEMU runs
            # (its watchdog sees it alive), the guest boots on until REST answers on the
            # private port, and the kill lands exactly there: before any provisioning.
            wait_until(lambda: _booted("k"), timeout=120, interval=0.02)
            proc.send_signal(signal.SIGSTOP)
        wait_until(lambda: MOMENTS[moment]("k"), timeout=120, interval=0.02)
        record = load_record("k")
        public = record.http_port
        # whatever the router answers on its private port, never so on its forwarded ones
        assert not _answers_without_password(public)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    wait_until(lambda: not _qemu_pids("k"), timeout=15)  # the watchdog ended it
    for port in (public, record.provision_port):
        assert not _answers_without_password(port)

    code, out, err = run_cli("chr", "ls", "--json")
    assert code == 0, err
    [row] = json.loads(out)
    assert (row["name"], row["state"]) == ("k", "not provisioned")
    code, _, err = run_cli("chr", "start", "k")
    assert code == 2 and "never provisioned" in err and "chr rm k" in err
    assert run_cli("chr", "rm", "k").code == 0
    assert not machine_dir("k").exists()


def test_the_next_run_removes_an_abandoned_machine(guest_disk: Path) -> None:
    argv = [str(Path(sys.executable).with_name("mikrodock")), "chr", "run"]
    argv += ["--image", str(guest_disk), "--name", "gone", "--accel", "tcg"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: _booted("gone"), timeout=120, interval=0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    def make(name: str, ports: tuple[PortForward, ...]) -> MachineRecord:
        return MachineRecord(
            name=name, arch="x86_64", image="0", base_image=Path("/nowhere"), memory_mib=256,
            cpus=1, accel_requested="tcg", ports=ports, mac="52:54:00:00:00:09", status="stopped",
        )  # fmt: skip

    made = machine.allocate("next", [], False, make)  # what every chr run does first
    assert not machine_dir("gone").exists()
    wait_until(lambda: not _qemu_pids("gone"), timeout=15)  # a killed QEMU takes a moment to exit
    machine.remove(made.name)
