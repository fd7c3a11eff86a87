"""``mikrodock chr serve``: one router in the foreground, the way a container entrypoint runs it.

The machine lives in ``state_dir()/machines/<name>`` (in the Docker image that is the volume
``$MIKRODOCK_HOME/state``). The first start makes it: a standalone qcow2 copy of the base image
(the volume then needs nothing from the image, so a newer image reuses it and RouterOS upgrades
made inside the router stay), the admin password, then the startup script once (a marker in
the machine folder remembers it ran). A later start on the same folder boots that same disk.

KVM is tried when ``/dev/kvm`` works for a same-architecture guest, else TCG; a KVM that fails
is noticed and the router is started again under TCG (:mod:`mikrodock.chr.boot`).

SIGTERM or SIGINT: while booting, QEMU is ended at once; once running, the router gets an ACPI
power-down and ``stop_timeout`` seconds, then QEMU is told to quit. ``serve`` returns 0 then,
and also when the router shuts itself down; 1 when QEMU dies otherwise.
"""

from __future__ import annotations

import hashlib
import os
import signal
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType
from typing import BinaryIO

from mikrodock.chr import accel as accel_mod
from mikrodock.chr import guard, machine, process
from mikrodock.chr.argv import ARCHES
from mikrodock.chr.boot import boot, password_of
from mikrodock.chr.docker import baked
from mikrodock.chr.docker.datalinks import DataLinks, Wiring
from mikrodock.chr.docker.health import READY_MARKER
from mikrodock.chr.docker.node import apply_identity
from mikrodock.chr.docker.volume import DISK, ServeRequest, create, make_disk, udp_forwards
from mikrodock.chr.ports import check_free, pick_free
from mikrodock.chr.process import running_pid
from mikrodock.chr.provision import after_restore, generate_password, router_for, set_password
from mikrodock.chr.state import (
    Link,
    MachineRecord,
    load_record,
    machine_dir,
    save_record,
    validate_name,
)
from mikrodock.errors import MachineError, MikrodockError, UsageError

__all__ = ["PORT_MODES", "ServeRequest", "admin_password", "serve"]

Note = Callable[[str], None]
PORT_MODES = ("auto", "container")
STARTUP_MARKER = "startup.done"
IDENTITY_MARKER = "identity.done"
BOOTED_MARKER = "booted"
"""written after the first boot that reached ready: until then the disk is remade each start"""
PASSWORD_ENV = "MIKRODOCK_ADMIN_PASSWORD"


def admin_password(
    env: Mapping[str, str], file: Path | None, containerlab: str | None = None
) -> str | None:
    """The password from ``MIKRODOCK_ADMIN_PASSWORD`` or a secret file, else containerlab's
    ``--password``/``PASSWORD``; None when none of them."""
    if file is not None and env.get(PASSWORD_ENV):
        raise UsageError(
            f"both {PASSWORD_ENV} and a password file are given", hint="give only one of them"
        )
    if file is not None:
        try:
            text = file.read_text()
        except OSError as exc:
            raise UsageError(
                f"cannot read the password file {file}: {exc.strerror}",
                hint="mount the secret there or fix MIKRODOCK_ADMIN_PASSWORD_FILE",
            ) from exc
        value = text.rstrip("\r\n")
        if not value:
            raise UsageError(f"the password file {file} is empty", hint="put the password in it")
        return value
    return env.get(PASSWORD_ENV) or containerlab or None


class _Stop(BaseException):
    """Raised in the main thread by SIGTERM/SIGINT while the router is still booting."""


class _Signals:
    """SIGTERM/SIGINT: interrupt a boot at once, else only raise the flag the loop watches."""

    def __init__(self) -> None:
        self.stopping = False
        self.interruptible = False
        self._old: dict[int, object] = {}

    def __enter__(self) -> _Signals:
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)  # type: ignore[arg-type]

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        first = not self.stopping
        self.stopping = True
        if first and self.interruptible:
            raise _Stop()


def _data_nics(record: MachineRecord, wiring: Wiring) -> None:
    """The record's extra NICs: one TAP per data interface, MACs kept from the last start."""
    macs = [nic.mac for nic in record.links]
    record.links = [
        Link(interface=f"ether{ether}", local=0, remote=0, tap=wiring.tap(ether),
             mac=macs[ether - 2] if ether - 2 < len(macs) else machine.random_mac())
        for ether in range(2, wiring.count + 2)
    ]  # fmt: skip


def _existing(request: ServeRequest) -> MachineRecord | None:
    if not (machine_dir(request.name) / "machine.json").exists():
        return None
    record = load_record(request.name)
    pid = running_pid(record)
    if pid:
        raise UsageError(
            f"{request.name} is already running (QEMU pid {pid})",
            hint="stop it first: mikrodock chr stop " + request.name,
        )
    if not (record.dir / DISK).is_file() and (record.dir / BOOTED_MARKER).exists():
        raise MachineError(
            f"{record.dir} has a machine record but no disk",
            hint="the volume is damaged; remove it to start over with a new router",
        )
    # settings given now win over the ones of the first start (not the disk or the password)
    record.memory_mib = machine.memory_mib(request.memory)
    record.cpus = request.cpus
    record.accel_requested = request.accel
    return record


def _provision(record: MachineRecord, request: ServeRequest, note: Note) -> None:
    if record.password_file:
        if request.password and request.password != password_of(record):
            note("the admin password was set on the first start; a new one is not applied")
    elif request.password != "":
        set_password(record, request.password or generate_password())
        save_record(record)
        note(f"admin password set (kept in {record.dir / record.password_file}, mode 0600)")
    identity_marker = record.dir / IDENTITY_MARKER
    if not identity_marker.exists():  # the first start's; the router's own config after that
        for done in apply_identity(record, request.identity, password_of(record)):
            note(f"set {done}")
        identity_marker.touch()
    marker = record.dir / STARTUP_MARKER
    if request.startup_script is None or marker.exists():
        return
    text = request.startup_script.read_text()
    body = "\n".join(
        line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    )
    if body:
        with router_for(record) as ros:
            output = ros.execute(body)
        note(f"startup script {request.startup_script} ran" + (f": {output}" if output else ""))
    digest = hashlib.sha256(text.encode()).hexdigest()
    marker.write_text(f"{digest}  {request.startup_script}\n")


def _add_udp_forwards(record: MachineRecord, forwards: list[tuple[int, int]]) -> None:
    bind = "" if record.publish_all else "127.0.0.1"
    for host, guest in forwards:
        guard.monitor_forward(record, f"hostfwd_add net0 udp:{bind}:{host}-:{guest}")


def _check(request: ServeRequest) -> list[str]:
    if request.arch not in ARCHES:
        raise UsageError(f"unknown architecture {request.arch!r}", hint="use x86_64 or aarch64")
    validate_name(request.name)
    if request.cpus < 1:
        raise UsageError(f"--cpus {request.cpus} is not possible", hint="give 1 or more")
    if request.ports not in PORT_MODES:
        raise UsageError(f"unknown --ports {request.ports!r}", hint="use auto or container")
    if request.startup_script is not None and not request.startup_script.is_file():
        raise UsageError(
            f"no startup script at {request.startup_script}",
            hint="mount the file there or unset MIKRODOCK_STARTUP_SCRIPT",
        )
    machine.memory_mib(request.memory)
    process.find_qemu(request.arch)
    return accel_mod.candidates(request.accel, request.arch)


def _check_ports(record: MachineRecord) -> None:
    for port in record.ports:
        check_free(port.host, (), publish_all=record.publish_all)


def _copy_console(log: Path, out: BinaryIO, done: threading.Event) -> None:
    """Copy what the router prints on its serial console (QEMU's log of it) to ``out``."""
    offset = log.stat().st_size if log.exists() else 0
    while True:
        finished = done.wait(0.2)
        try:
            with open(log, "rb") as handle:
                handle.seek(offset)
                data = handle.read()
        except OSError:
            data = b""
        if data:
            offset += len(data)
            out.write(data)
            out.flush()
        if finished:
            return


def serve(
    request: ServeRequest,
    *,
    note: Note,
    ready: Note | None = None,
    console: BinaryIO | None = None,
) -> int:
    """Run the router until a signal or until it stops; returns the process exit code.

    ``console``: a binary stream that gets the router's serial console (``docker logs``)."""
    done = threading.Event()
    copier: threading.Thread | None = None
    if console is not None:
        log = machine_dir(request.name) / "serial.log"
        copier = threading.Thread(target=_copy_console, args=(log, console, done), daemon=True)
    try:
        return _serve(request, note, ready, copier)
    finally:
        done.set()
        if copier is not None and copier.is_alive():
            copier.join(2.0)


def _serve(
    request: ServeRequest, note: Note, ready: Note | None, copier: threading.Thread | None
) -> int:
    accels = _check(request)
    with _Signals() as signals:
        record = _existing(request) or create(request, note, disk=request.snapshot is None)
        ready_marker = record.dir / READY_MARKER
        ready_marker.unlink(missing_ok=True)
        _check_ports(record)
        _data_nics(record, request.wiring)
        save_record(record)
        if request.wiring_note:
            note(request.wiring_note)
        data = DataLinks(request.wiring, note)
        if request.wiring.count:
            data.make_taps()
        base = record.base_image
        fresh = not (record.dir / BOOTED_MARKER).exists()

        def renew_disk() -> None:  # a router that never came up: start again from the base
            (record.dir / DISK).unlink(missing_ok=True)
            make_disk(base, record.dir)

        if not fresh:
            note(f"reusing {record.name}'s disk in {record.dir}")
        elif record.status != "created":
            note(f"{record.name} never finished its first boot: making its disk again")
            renew_disk()

        if not record.password_file and request.password != "":
            # Until its password is set, a new router answers as admin with none: it boots with
            # only a private REST forward; the published ports open once it is provisioned.
            record.provision_port = pick_free(1, {port.host for port in record.ports})[0]
            save_record(record)
        if copier is not None:
            copier.start()
        signals.interruptible = True
        try:
            if signals.stopping:
                raise _Stop()
            timings = _restore(record, request, accels, renew_disk, note) if fresh else None
            if timings is None and not (record.dir / DISK).is_file():
                renew_disk()  # the snapshot was not used: a disk from the base image
            if timings is None:
                timings = boot(
                    record,
                    accels,
                    timeout=request.boot_timeout,
                    note=note,
                    before_retry=renew_disk if fresh else None,
                )
        except _Stop:
            note("stopped while booting")
            return 0
        finally:
            signals.interruptible = False
        (record.dir / BOOTED_MARKER).touch()
        child = process.child(record.pid)
        try:
            if signals.stopping:
                return _shutdown(record, request, note)
            _provision(record, request, note)
            if record.provision_port:
                guard.open_forwards(record)  # the password is set: publish, drop the private one
                record.provision_port = 0
                save_record(record)
            _add_udp_forwards(record, udp_forwards(request))
        except MikrodockError:
            machine.stop(record.name, force=True)
            raise
        took = timings["ready"] - timings["started"]
        line = f"{record.name} ready in {took:.1f} s under {record.accel.upper()}: {record.url}"
        ready_marker.touch()
        (ready or note)(line)
        data.start()
        try:
            while not signals.stopping:
                if process.wait_exit(record.pid, 0.25):
                    code = child.returncode if child is not None else 0
                    note(f"QEMU ended (exit {code}): the router shut down")
                    machine.stop(record.name, force=True)
                    return 0 if code == 0 else 1
            return _shutdown(record, request, note)
        finally:
            ready_marker.unlink(missing_ok=True)
            data.stop()


def _restore(
    record: MachineRecord,
    request: ServeRequest,
    accels: list[str],
    renew_disk: Callable[[], None],
    note: Note,
) -> dict[str, float] | None:
    """Resume the image's baked snapshot as this new router; None (and why, in the log) when it
    is not used or cannot be restored, the disk then made again for a cold boot.

    It runs under the accelerator a cold boot would start with (KVM unless it failed on this
    host before), with the snapshot's CPU model."""
    if request.snapshot is None:
        return None
    accel = accels[0]
    if len(accels) > 1 and accel_mod.known_broken(accel, process.find_qemu(record.arch)):
        accel = accels[1]
    snap, why = baked.load(request.snapshot)
    if snap is not None:
        why = baked.unfit(snap, record, request.wiring.count)
    if why:
        note(f"the image's snapshot is not used ({why}): booting cold")
        return None
    state = baked.take(request.snapshot, record)

    def own_identity() -> list[str]:
        return after_restore(record, new_mac=True) + baked.own_data_macs(record)

    try:
        timings = boot(
            record,
            [accel],
            timeout=request.boot_timeout,
            note=note,
            incoming_state=state,
            before_ready=own_identity,
            cpu=snap.cpu if snap else "",
        )
    except MachineError as exc:
        note(f"the image's snapshot could not be restored ({exc}): booting cold")
        renew_disk()
        return None
    note(f"resumed from the image's snapshot (RouterOS {snap.version if snap else '?'})")
    return timings


def _shutdown(record: MachineRecord, request: ServeRequest, note: Note) -> int:
    note(f"powering {record.name} down (ACPI, up to {request.stop_timeout:.0f} s)")
    machine.stop(record.name, timeout=request.stop_timeout)
    note(f"{record.name} stopped")
    return 0


def environment_password_file(env: Mapping[str, str] = os.environ) -> Path | None:
    value = env.get("MIKRODOCK_ADMIN_PASSWORD_FILE")
    return Path(value) if value else None
