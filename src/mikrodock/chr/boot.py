"""Starting a machine's QEMU and waiting until its router is ready, with accelerator fallback.

:func:`boot` tries each accelerator candidate in turn: when QEMU exits or reports a KVM/HVF error
before the router is ready, it is ended and started again under the next candidate (TCG), and a
note says so. Any other failure ends the process, removes its sockets and raises a
:class:`MachineError` carrying QEMU's stderr and the console's last lines.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from qemu.qmp import QMPClient

from mikrodock.chr import accel as accel_mod
from mikrodock.chr.argv import Forward, LinkNic, MachineSpec, build_argv
from mikrodock.chr.process import end_process, find_qemu, launch, signal_name
from mikrodock.chr.qmp import run_qmp
from mikrodock.chr.ready import NotReady, wait_ready
from mikrodock.chr.state import MachineRecord, password_of, save_record
from mikrodock.errors import MachineError, MikrodockError

__all__ = ["boot", "clean_runtime", "password_of", "spec_for", "tail"]

Note = Callable[[str], None]


def tail(path: Path, lines: int = 8, start: int = 0) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(start)
            text = handle.read().decode(errors="replace")
    except OSError:
        return ""
    kept = [line for line in text.splitlines() if line.strip()][-lines:]
    return " | ".join(line.strip() for line in kept)


def spec_for(
    record: MachineRecord, accel: str, *, incoming: bool = False, cpu: str = ""
) -> MachineSpec:
    folder = record.dir
    return MachineSpec(
        name=record.name,
        arch=record.arch,
        disk=folder / "disk.qcow2",
        qmp_socket=folder / "qmp.sock",
        serial_socket=folder / "serial.sock",
        serial_log=folder / "serial.log",
        pidfile=folder / "qemu.pid",
        memory_mib=record.memory_mib,
        cpus=record.cpus,
        accel=accel,
        forwards=_forwards(record),
        mac=record.mac,
        links=tuple(LinkNic(nic.local, nic.remote, nic.mac, nic.tap) for nic in record.links),
        publish_all=record.publish_all and not record.provision_port,
        firmware_code=record.firmware_code,
        firmware_vars=folder / "vars.fd" if record.firmware_code else None,
        incoming=incoming,
        cpu=cpu,
    )


def _forwards(record: MachineRecord) -> tuple[Forward, ...]:
    """The public forwards; only the private one to REST while provisioning (see chr/guard.py)."""
    if record.provision_port:
        return (Forward(record.provision_port, 80),)
    return tuple(Forward(port.host, port.guest) for port in sorted(record.ports))


def clean_runtime(folder: Path) -> None:
    for name in ("qmp.sock", "serial.sock", "qemu.pid"):
        (folder / name).unlink(missing_ok=True)


def _watch(
    proc_pid: int,
    proc_poll: Callable[[], int | None],
    accel: str,
    log: Path,
    offset: int,
    serial: Path,
) -> Callable[[], NotReady | None]:
    def check() -> NotReady | None:
        code = proc_poll()
        stderr = ""
        try:
            with open(log, "rb") as handle:
                handle.seek(offset)
                stderr = handle.read().decode(errors="replace")
        except OSError:
            pass
        broke = accel_mod.accel_failure(accel, stderr)
        if broke:
            return NotReady(f"{accel.upper()} failed: {broke}", accel_broke=True)
        if code is not None:
            return NotReady(
                f"QEMU (pid {proc_pid}) exited with {signal_name(code)} under {accel.upper()}:"
                f" {tail(log, 4, offset) or 'no message'}; console: {tail(serial, 3) or 'empty'}",
                accel_broke=accel != "tcg",
            )
        return None

    return check


def _incoming(record: MachineRecord, state: Path, check: Callable[[], NotReady | None]) -> None:
    """Load the memory ``state`` into the waiting QEMU (handed the open file over QMP, so it
    reads it directly), then let the machine run."""
    sock = record.dir / "qmp.sock"
    deadline = time.monotonic() + 20
    while not sock.exists():
        problem = check()
        if problem:
            raise problem
        if time.monotonic() > deadline:
            raise NotReady("QEMU's monitor socket never appeared")
        time.sleep(0.02)

    async def work(client: QMPClient) -> None:
        with state.open("rb") as handle:
            client.send_fd_scm(handle.fileno())
            await client.execute("getfd", {"fdname": "snapshot"})
        await client.execute("migrate-incoming", {"uri": "fd:snapshot"})
        while True:
            info = await client.execute("query-migrate")
            status = info.get("status") if isinstance(info, dict) else None
            if status == "completed":
                break
            if status in ("failed", "cancelled"):
                raise NotReady(f"loading the snapshot failed: {info}")
            await asyncio.sleep(0.02)
        # The snapshot was taken while paused, so the machine arrives paused: run it.
        await client.execute("cont")

    try:
        run_qmp(sock, work, timeout=300, connect_within=20)
    except NotReady:
        raise
    except Exception as exc:  # QEMU refused the state and ended: say what QEMU said
        deadline = time.monotonic() + 2
        while (problem := check()) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        raise problem or NotReady(f"loading the snapshot failed: {exc}") from None


def boot(
    record: MachineRecord,
    accels: list[str],
    *,
    timeout: float,
    note: Note,
    incoming_state: Path | None = None,
    before_retry: Callable[[], None] | None = None,
    before_ready: Callable[[], list[str]] | None = None,
    phase: Note | None = None,
    cpu: str = "",
) -> dict[str, float]:
    """Start QEMU for ``record`` and wait until ready; updates the record.

    The record is saved when its state changes: when QEMU starts (``running``, its pid) and when
    it fails (``stopped``); and once more when the router reports another version than
    recorded. A ``provisioning`` record (a new machine, see :func:`mikrodock.chr.machine.run`)
    is left to the caller to save: it is saved ``running`` or removed.

    ``incoming_state``: a snapshot's memory state to continue from instead of booting.
    ``before_ready`` (with ``incoming_state``): fixes for the restored machine, made once it
    answers and before ``boot`` returns (one request after another, so an emulated guest warming
    up is not asked three things at once); the notes it returns go to ``note``. Its readiness is
    asked first because that wait watches QEMU: a restore that KVM cannot run (QEMU stops with
    ``KVM internal error``) fails there at once, instead of in the fixes' request timeouts.
    ``phase`` hears when QEMU runs and the wait for the router begins.
    ``cpu``: a fixed CPU model (see :class:`mikrodock.chr.argv.MachineSpec`).

    A start that fails while loading ``incoming_state`` says nothing about the accelerator (the
    state may come from another QEMU or CPU), so it is not remembered as the host's KVM failing."""
    binary = find_qemu(record.arch)
    folder = record.dir
    log = folder / "qemu.log"
    if len(accels) > 1 and (before := accel_mod.known_broken(accels[0], binary)) is not None:
        note(
            f"{accels[0].upper()} failed on this host before ({before}); starting {record.name}"
            f" under {accels[1].upper()} (--accel {accels[0]} tries it again)"
        )
        accels = accels[1:]
    for index, accel in enumerate(accels):
        clean_runtime(folder)
        argv = build_argv(spec_for(record, accel, incoming=incoming_state is not None, cpu=cpu))
        argv[0] = binary
        offset = log.stat().st_size if log.exists() else 0
        started = time.time()
        proc = launch(argv, folder)
        record.pid, record.accel, record.started_at = proc.pid, accel, started
        owned = record.status != "provisioning"
        if owned:
            record.status = "running"
            save_record(record)
        check = _watch(proc.pid, proc.poll, accel, log, offset, folder / "serial.log")
        if phase is not None:
            phase(f"QEMU runs ({accel.upper()}); waiting for {record.name} to answer")
        try:
            if incoming_state is not None:
                _incoming(record, incoming_state, check)
            answer = wait_ready(
                record.url,
                record.user,
                password_of(record),
                timeout=timeout,
                watch=check,
                booting=incoming_state is None,
            )
            for line in before_ready() if before_ready is not None else []:
                note(line)
            if answer.version and answer.version != record.routeros_version:
                record.routeros_version = answer.version
                if owned:
                    save_record(record)
            return {**answer.timings(), "started": started}
        except NotReady as problem:
            end_process(proc.pid)
            clean_runtime(folder)
            if problem.accel_broke and incoming_state is None:
                accel_mod.remember_broken(accel, binary, str(problem))
            if problem.accel_broke and index + 1 < len(accels):
                note(f"{problem}; starting {record.name} again under {accels[index + 1].upper()}")
                record.notes.append(f"{accel} failed, fell back to {accels[index + 1]}")
                if before_retry:
                    before_retry()
                continue
            _stopped(record, owned)
            raise MachineError(
                f"{record.name} did not become ready: {problem}",
                hint=f"see {log} and {folder / 'serial.log'}; try --accel tcg or more --memory",
            ) from None
        except (MikrodockError, BaseException):
            end_process(proc.pid)
            clean_runtime(folder)
            _stopped(record, owned)
            raise
    raise MachineError(f"no accelerator could start {record.name}", hint="try --accel tcg")


def _stopped(record: MachineRecord, owned: bool) -> None:
    record.pid = 0
    if owned:
        record.status = "stopped"
        save_record(record)
