"""Snapshots: save a running router (memory and disk), restore it, or clone new routers from it.

A snapshot lives in ``state_dir()/snapshots/<machine>/<tag>/`` (so it outlives its machine):

- ``disk.qcow2``: a copy of the machine's overlay taken while the guest is paused (QMP ``stop``
  flushes the disk first); it still points at the shared base image, so it stays small;
- ``state``: the guest's memory and devices, written by QMP ``migrate`` to ``exec:cat``;
- ``snapshot.json``: what the machine was (arch, memory, cpus, NICs, accelerator, base image);
- ``password``: the admin password at the time (0600).

Restoring and cloning both put a fresh overlay on ``disk.qcow2`` and start QEMU with
``-incoming defer``; QMP hands it the open ``state`` file (``getfd``) and ``migrate-incoming``
reads it from there: the router continues where it was, without a
boot. A clone gets its own name, host ports and MAC address (set inside the router too, since
the restored NIC state carries the source's); afterwards the clock is set to now.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from qemu.qmp import QMPClient

from mikrodock.chr.boot import boot, password_of
from mikrodock.chr.machine import (
    RunResult,
    allocate,
    create_overlay,
    destroy,
    parse_publish,
    random_mac,
)
from mikrodock.chr.process import end_process
from mikrodock.chr.provision import PASSWORD_FILE, after_restore
from mikrodock.chr.qmp import run_qmp
from mikrodock.chr.state import MachineRecord, PortForward, load_record, validate_name
from mikrodock.chr.status import running_pid
from mikrodock.errors import MachineError, UsageError
from mikrodock.paths import atomic_write, state_dir

__all__ = [
    "SnapshotInfo",
    "clone",
    "list_snapshots",
    "migrate_out",
    "remove_snapshot",
    "restore",
    "save",
]

Note = Callable[[str], None]


@dataclass(frozen=True)
class SnapshotInfo:
    machine: str
    tag: str
    arch: str
    version: str
    base_image: str
    memory_mib: int
    cpus: int
    links: int
    accel: str
    has_password: bool
    created_at: float
    disk_bytes: int = 0
    state_bytes: int = 0
    routeros_version: str = ""
    """as the router reported it ('' in snapshots of earlier releases)"""

    @property
    def dir(self) -> Path:
        return snapshot_dir(self.machine, self.tag)


def _root() -> Path:
    root = state_dir() / "snapshots"
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    return root


def snapshot_dir(machine: str, tag: str) -> Path:
    return _root() / machine / tag


def load_snapshot(machine: str, tag: str) -> SnapshotInfo:
    meta = snapshot_dir(machine, tag) / "snapshot.json"
    try:
        return SnapshotInfo(**json.loads(meta.read_text()))
    except (OSError, ValueError, TypeError):
        raise UsageError(
            f"no snapshot {machine}:{tag}", hint="see `mikrodock chr snapshot ls`"
        ) from None


def parse_source(text: str) -> tuple[str, str]:
    machine, sep, tag = text.partition(":")
    if not sep or not machine or not tag:
        raise UsageError(f"bad snapshot reference {text!r}", hint="write MACHINE:TAG")
    return machine, tag


def migrate_out(
    state: Path, disk: Path, disk_copy: Path, *, resume: bool = True
) -> Callable[[QMPClient], Any]:
    """The QMP work that saves a running machine: paused (which flushes its disk), the disk
    copied to ``disk_copy`` and the memory written to ``state``; resumed after unless
    ``resume`` is False (a machine about to be removed)."""

    async def work(client: QMPClient) -> None:
        await client.execute("stop")
        try:
            await asyncio.to_thread(shutil.copyfile, disk, disk_copy)
            uri = f"exec:cat > {shlex.quote(str(state))}"
            await client.execute("migrate", {"uri": uri})
            while True:
                info: Any = await client.execute("query-migrate")
                status = info.get("status") if isinstance(info, dict) else None
                if status == "completed":
                    return
                if status in ("failed", "cancelled"):
                    raise MachineError(f"saving the memory failed: {info.get('error-desc', '')}")
                await asyncio.sleep(0.02)
        finally:
            if resume:
                await client.execute("cont")

    return work


def save(name: str, tag: str) -> SnapshotInfo:
    """Save running machine ``name`` as ``tag`` (replacing an older snapshot of that tag)."""
    validate_name(tag)
    record = load_record(name)
    if not running_pid(record):
        raise UsageError(f"{name} is not running", hint="snapshots need a running machine")
    if any(nic.hotplug for nic in record.links):
        raise UsageError(
            f"{name} has a NIC hot-plugged by `chr run --link`; a snapshot could not be restored",
            hint=f"restart it first (mikrodock chr stop {name} && mikrodock chr start {name})",
        )
    final = snapshot_dir(name, tag)
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{tag}-", dir=final.parent))
    try:
        run_qmp(
            record.dir / "qmp.sock",
            migrate_out(work / "state", record.dir / "disk.qcow2", work / "disk.qcow2"),
            timeout=600,
        )
        password = password_of(record)
        if password:
            atomic_write(work / PASSWORD_FILE, password + "\n", mode=0o600)
        info = SnapshotInfo(
            machine=name, tag=tag, arch=record.arch, version=record.image,
            base_image=str(record.base_image), memory_mib=record.memory_mib, cpus=record.cpus,
            links=len(record.links), accel=record.accel or "tcg", has_password=bool(password),
            created_at=time.time(), disk_bytes=(work / "disk.qcow2").stat().st_size,
            state_bytes=(work / "state").stat().st_size,
            routeros_version=record.routeros_version,
        )  # fmt: skip
        atomic_write(work / "snapshot.json", json.dumps(asdict(info), indent=2) + "\n")
        if final.exists():
            shutil.rmtree(final)
        work.rename(final)
        return info
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _take_over(record: MachineRecord, snap: SnapshotInfo) -> None:
    disk = record.dir / "disk.qcow2"
    disk.unlink(missing_ok=True)
    create_overlay(disk, snap.dir / "disk.qcow2", "qcow2")
    (record.dir / PASSWORD_FILE).unlink(missing_ok=True)
    record.password_file = ""
    if snap.has_password:
        shutil.copyfile(snap.dir / PASSWORD_FILE, record.dir / PASSWORD_FILE)
        (record.dir / PASSWORD_FILE).chmod(0o600)
        record.password_file = PASSWORD_FILE


def _resume(
    record: MachineRecord, snap: SnapshotInfo, timeout: float, *, new_mac: bool
) -> RunResult:
    """Put ``record`` on the snapshot's disk and memory and run it (clock, and with
    ``new_mac`` ether1's address, fixed before its readiness is confirmed); the record is
    saved once, when its QEMU starts (:func:`mikrodock.chr.boot.boot`)."""
    _take_over(record, snap)
    notes: list[str] = []
    timings = boot(
        record,
        [snap.accel],
        timeout=timeout,
        note=notes.append,
        incoming_state=snap.dir / "state",
        before_ready=lambda: after_restore(record, new_mac=new_mac),
    )
    return RunResult(record, timings, notes)


def restore(name: str, tag: str, *, timeout: float = 120.0, note: Note = print) -> RunResult:
    """Bring machine ``name`` back to snapshot ``tag`` (of itself), running."""
    snap = load_snapshot(name, tag)
    record = load_record(name)
    if (snap.arch, snap.memory_mib, snap.cpus, snap.links) != (
        record.arch, record.memory_mib, record.cpus, len(record.links)
    ):  # fmt: skip
        raise UsageError(f"snapshot {name}:{tag} does not fit the machine's hardware")
    end_process(running_pid(record))
    return _resume(record, snap, timeout, new_mac=False)


def clone(
    source: str,
    *,
    name: str | None = None,
    publish: tuple[str, ...] = (),
    publish_all: bool = False,
    timeout: float = 120.0,
) -> RunResult:
    """A new running machine from snapshot ``MACHINE:TAG``: own overlay, ports and MACs."""
    machine, tag = parse_source(source)
    snap = load_snapshot(machine, tag)
    if name is not None:
        validate_name(name)
    if snap.links:
        raise UsageError("cloning a machine with links is not supported yet")

    def make(chosen: str, ports: tuple[PortForward, ...]) -> MachineRecord:
        return MachineRecord(
            name=chosen, arch=snap.arch, image=snap.version, base_image=Path(snap.base_image),
            memory_mib=snap.memory_mib, cpus=snap.cpus, accel_requested=snap.accel,
            ports=ports, mac=random_mac(), publish_all=publish_all, status="creating",
            source=f"{machine}:{tag}", routeros_version=snap.routeros_version,
            created_at=time.time(),
        )  # fmt: skip

    record = allocate(name, parse_publish(publish), publish_all, make)
    try:
        return _resume(record, snap, timeout, new_mac=True)
    except BaseException:
        destroy(record)
        raise


def list_snapshots() -> list[SnapshotInfo]:
    found = []
    for meta in sorted(_root().glob("*/*/snapshot.json")):
        try:
            found.append(load_snapshot(meta.parent.parent.name, meta.parent.name))
        except UsageError:
            continue
    return found


def remove_snapshot(machine: str, tag: str) -> None:
    from mikrodock.chr.state import list_records

    snap = load_snapshot(machine, tag)
    users = [r.name for r in list_records()[0] if r.source == f"{machine}:{tag}"]
    if users:
        raise UsageError(
            f"machines {', '.join(users)} were cloned from {machine}:{tag}",
            hint="remove them first (chr rm -f)",
        )
    shutil.rmtree(snap.dir)
