"""Machine lifecycle: run, start, stop, remove, and the small things (exec, logs, ssh-config).

``run`` checks everything it can before it creates anything (memory, accelerator, ports, name,
QEMU and firmware installed), then allocates the name and ports under the allocation lock,
puts a qcow2 overlay on the cached base image, boots and provisions. If any step fails, the
process, its sockets and the machine folder are removed: nothing is left behind.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mikrodock.chr import accel as accel_mod
from mikrodock.chr import guard, images
from mikrodock.chr import links as links_mod
from mikrodock.chr import packages as packages_mod
from mikrodock.chr.argv import ARCHES, DEFAULT_GUEST_PORTS
from mikrodock.chr.boot import boot, clean_runtime, password_of
from mikrodock.chr.download import Progress
from mikrodock.chr.ports import check_free, pick_free
from mikrodock.chr.process import (
    end_process,
    find_firmware,
    find_qemu,
    make_vars,
    qemu_pid_for,
    wait_exit,
)
from mikrodock.chr.provision import generate_password, router_for, set_device_mode, set_password
from mikrodock.chr.qmp import qmp_call
from mikrodock.chr.ready import check_timeout
from mikrodock.chr.state import (
    Link,
    MachineRecord,
    PortForward,
    allocation_lock,
    list_records,
    load_record,
    machine_dir,
    machines_root,
    save_record,
    validate_name,
)
from mikrodock.chr.status import running_pid
from mikrodock.errors import MachineError, MikrodockError, UsageError
from mikrodock.routeros.values import parse_size

__all__ = [
    "RunRequest",
    "RunResult",
    "create_overlay",
    "exec_script",
    "remove",
    "run",
    "ssh_config",
    "start",
    "stop",
]

Note = Callable[[str], None]
MIN_MEMORY_MIB = 128


def _quiet(_: str) -> None:
    pass


@dataclass
class RunRequest:
    """What ``chr run`` was asked for (the CLI and the Python API both build one)."""

    image: str = "stable"
    image_path: Path | None = None
    name: str | None = None
    arch: str = "x86_64"
    memory: str | int = "256M"
    cpus: int = 1
    publish: tuple[str, ...] = ()
    publish_all: bool = False
    accel: str = "auto"
    password: str | None = None
    """None: generate one; "": keep the empty default; else this password"""
    device_mode: Mapping[str, str] = field(default_factory=dict)
    packages: tuple[str, ...] = ()
    timeout: float = 300.0
    links: tuple[Link, ...] = ()
    """extra NICs planned by a lab (see :mod:`mikrodock.lab.machines`)"""
    lab: str = ""
    link_to: tuple[str, ...] = ()
    """``--link PEER:etherN[=etherM]``: wire to running machines (see chr/links.py)"""
    from_snapshot: str | None = None
    """``MACHINE:TAG``: clone that snapshot instead of booting (:func:`mikrodock.chr.launch`);
    only ``name``, ``publish``, ``publish_all`` and ``timeout`` apply to a clone"""


@dataclass
class RunResult:
    record: MachineRecord
    timings: dict[str, float]
    notes: list[str]

    @property
    def credentials(self) -> str:
        if not self.record.password_file:
            return f"user {self.record.user}, empty password"
        return f"user {self.record.user}, password in {self.record.dir / self.record.password_file}"


def memory_mib(value: str | int) -> int:
    size = parse_size(value) if isinstance(value, str) else value * (1 << 20)
    mib = (size or 0) // (1 << 20)
    if mib < MIN_MEMORY_MIB:
        raise UsageError(
            f"--memory {value} is too little for RouterOS",
            hint=f"give at least {MIN_MEMORY_MIB}M (256M or more is recommended)",
        )
    available = _host_available_mib()
    if available and mib > available:
        raise UsageError(
            f"--memory {value} is more than this host has free ({available} MiB)",
            hint="give less --memory or stop other machines",
        )
    return mib


def _host_available_mib() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def parse_publish(items: tuple[str, ...]) -> list[tuple[int, int]]:
    """``HOST:GUEST`` or ``GUEST`` (host picked) -> (host or 0, guest)."""
    pairs: list[tuple[int, int]] = []
    for item in items:
        parts = item.removesuffix("/tcp").split(":")
        # ASCII digits only: int() also takes " 80", "+80", "8_0" and other scripts' digits
        good = all(part.isascii() and part.isdigit() and len(part) <= 5 for part in parts)
        numbers = [int(part) for part in parts] if good else []
        if len(numbers) not in (1, 2) or not all(0 < n < 65536 for n in numbers):
            raise UsageError(f"bad -p {item!r}", hint="write -p HOST:GUEST (like -p 8080:80)")
        pairs.append((numbers[0], numbers[1]) if len(numbers) == 2 else (0, numbers[0]))
    return pairs


def random_mac() -> str:
    return "52:54:00:" + ":".join(f"{b:02x}" for b in secrets.token_bytes(3))


def _taken_ports(records: list[MachineRecord]) -> set[int]:
    taken: set[int] = set()
    for record in records:
        taken.update(port.host for port in record.ports)
        taken.add(record.provision_port)
        for link in record.links:
            taken.update((link.local, link.remote))
    return taken - {0}


def _next_name(taken: set[str]) -> str:
    index = 1
    while f"chr{index}" in taken:
        index += 1
    return f"chr{index}"


def allocate(
    name: str | None,
    publish: list[tuple[int, int]],
    publish_all: bool,
    make: Callable[[str, tuple[PortForward, ...]], MachineRecord],
    *,
    hold: list[guard.Unfinished] | None = None,
) -> MachineRecord:
    """Choose the name and host ports and write the record, all under the allocation lock.

    A record made ``provisioning`` gets a private REST port, and its unfinished lock taken
    (appended to ``hold``) before it is written. Machines whose ``chr run`` died before
    provisioning them are removed first (see :mod:`mikrodock.chr.guard`)."""
    with allocation_lock():
        records, broken = list_records()
        for record in [r for r in records if guard.abandoned(r)]:
            destroy(record)
            records.remove(record)
        taken_names = {r.name for r in records} | set(broken)
        taken_names |= {p.name for p in machines_root().iterdir()}
        if name is not None and name in taken_names:
            raise UsageError(
                f"a machine named {name!r} already exists",
                hint=f"pick another --name or remove it with `mikrodock chr rm -f {name}`",
            )
        chosen = name or _next_name(taken_names)
        taken = _taken_ports(records)
        ports: dict[int, int] = {}
        """guest -> host"""
        for host, guest in publish:
            if host:
                check_free(host, taken | set(ports.values()), publish_all=publish_all)
                ports[guest] = host
        wanted = [
            g for g in [*DEFAULT_GUEST_PORTS.values(), *(g for _, g in publish)] if g not in ports
        ]
        wanted = list(dict.fromkeys(wanted))
        for guest, host in zip(
            wanted, pick_free(len(wanted), taken | set(ports.values())), strict=True
        ):
            ports[guest] = host
        record = make(chosen, tuple(sorted(PortForward(g, h) for g, h in ports.items())))
        if record.status == "provisioning":
            record.provision_port = pick_free(1, taken | set(ports.values()))[0]
        machine_dir(chosen).mkdir(mode=0o700)
        if hold is not None:
            hold.append(guard.Unfinished(record.dir))
        save_record(record)
        return record


def create_overlay(disk: Path, backing: Path, backing_format: str) -> None:
    result = subprocess.run(
        ["qemu-img", "create", "-q", "-f", "qcow2", "-F", backing_format, "-b", str(backing),
         str(disk)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise MachineError(f"cannot create the overlay {disk}: {result.stderr.strip()}")
    disk.chmod(0o600)  # the router writes its password (and more) into it


def destroy(record: MachineRecord) -> None:
    """End the machine's process and remove its folder (used when a run fails, and by rm).

    A QEMU that has not written its pidfile yet (its ``chr run`` killed a moment after starting
    it) is found by its ``-pidfile`` argument, so it cannot write into the folder as it goes."""
    pids = {running_pid(record), qemu_pid_for(record.dir)}
    pids.update(guard.pids_with_pidfile(record.dir / "qemu.pid"))
    for pid in sorted(pids - {0}):
        end_process(pid)
    shutil.rmtree(record.dir, ignore_errors=True)


def _base_for(request: RunRequest, progress: Progress | None) -> images.ImageInfo:
    if request.image_path is not None:
        return images.import_image(request.image_path, request.arch)
    return images.pull(request.image, request.arch, progress)


def run(
    request: RunRequest,
    *,
    note: Note = _quiet,
    progress: Progress | None = None,
    phase: Note = _quiet,
) -> RunResult:
    """Make, boot and provision a new machine; returns once its REST API is ready.

    ``phase`` hears each step as it begins (QEMU starting, the wait for the router, the
    password, device-mode, packages, the forwarded ports), for a status line."""
    if request.arch not in ARCHES:
        raise UsageError(f"unknown architecture {request.arch!r}", hint="use x86_64 or aarch64")
    if request.name is not None:
        validate_name(request.name)
    if request.cpus < 1:
        raise UsageError(f"--cpus {request.cpus} is not possible", hint="give 1 or more")
    wanted_packages = packages_mod.validate_names(request.packages)
    wanted_links = [links_mod.parse_link(text) for text in request.link_to]
    if wanted_links and request.links:
        raise UsageError("--link cannot be combined with lab links", hint="use one or the other")
    links_mod.check_peers(wanted_links)
    mib = memory_mib(request.memory)
    accels = accel_mod.candidates(request.accel, request.arch)
    publish = parse_publish(request.publish)
    find_qemu(request.arch)
    firmware = find_firmware() if request.arch == "aarch64" else None
    base = _base_for(request, progress)

    plan = links_mod.LinkPlan([dataclasses.replace(link) for link in request.links])

    def make(name: str, ports: tuple[PortForward, ...]) -> MachineRecord:
        nonlocal plan
        if wanted_links:
            plan = links_mod.reserve(name, wanted_links, random_mac)
        return MachineRecord(
            name=name, arch=request.arch, image=base.version, base_image=base.disk,
            memory_mib=mib, cpus=request.cpus, accel_requested=request.accel, ports=ports,
            mac=random_mac(), publish_all=request.publish_all, status="provisioning",
            firmware_code=firmware[0] if firmware else None, links=plan.nics, lab=request.lab,
            created_at=time.time(),
        )  # fmt: skip

    unfinished: list[guard.Unfinished] = []
    try:
        record = allocate(request.name, publish, request.publish_all, make, hold=unfinished)
    except BaseException:
        links_mod.release(plan)
        raise
    watchdog: guard.Watchdog | None = None
    notes: list[str] = []

    def say(text: str) -> None:
        notes.append(text)
        note(text)

    def fresh_disk() -> None:
        (record.dir / "disk.qcow2").unlink(missing_ok=True)
        create_overlay(record.dir / "disk.qcow2", base.disk, "raw")

    try:
        watchdog = guard.Watchdog(record.dir / "qemu.pid")
        fresh_disk()
        if firmware:
            make_vars(firmware[0], firmware[1], record.dir / "vars.fd")
        phase(f"starting QEMU for {record.name}")
        timings = boot(
            record, accels, timeout=request.timeout, note=say, before_retry=fresh_disk,
            phase=phase,
        )  # fmt: skip
        password = generate_password() if request.password is None else request.password
        if password:
            phase("setting the admin password")
            set_password(record, password)  # kept in the record by the one save below
        if request.device_mode:
            phase("changing device-mode (the router is power-cycled)")
            set_device_mode(record, request.device_mode)
            timings.update(boot_wait(record, request.timeout))
        if wanted_packages:
            phase(f"installing {', '.join(wanted_packages)}")
            timings.update(
                packages_mod.install(
                    record, wanted_packages, timeout=request.timeout, note=say, progress=progress
                )
            )
            timings.update(boot_wait(record, request.timeout))
        phase("opening the forwarded ports")
        guard.open_forwards(record)  # only now, with the password set
        record.provision_port, record.status = 0, "running"
        boot_wait(record, request.timeout)  # ready on its own ports too (the first answer)
        save_record(record)  # the one save after allocate's: provisioning -> running
        watchdog.disarm()
        links_mod.hotplug(plan)
        return RunResult(record, timings, notes)
    except BaseException:
        links_mod.release(plan)
        destroy(record)
        if watchdog is not None:
            watchdog.disarm()
        raise
    finally:
        for lock in unfinished:
            lock.release()


def boot_wait(record: MachineRecord, timeout: float) -> dict[str, float]:
    """Wait for an already running machine to answer again (after a reset); keeps the
    version it reports in ``record`` (not saved)."""
    from mikrodock.chr.ready import wait_ready

    answer = wait_ready(
        record.url, record.user, password_of(record), timeout=timeout, watch=lambda: None
    )
    record.routeros_version = answer.version or record.routeros_version
    return answer.timings()


def start(name: str, *, timeout: float = 300.0, note: Note = _quiet) -> RunResult:
    """Boot a stopped machine again (its disk keeps what the router wrote)."""
    check_timeout(timeout)
    record = load_record(name)
    if record.status == "provisioning":
        raise UsageError(
            f"{name} was never provisioned (its chr run was stopped before the router had a"
            " password)",
            hint=f"remove it with `mikrodock chr rm {name}` and run a new one",
        )
    if running_pid(record):
        raise UsageError(f"{name} is already running", hint="see `mikrodock chr ls`")
    with allocation_lock():
        records, _ = list_records()
        taken = _taken_ports([r for r in records if r.name != name and running_pid(r)])
        for port in record.ports:  # its own ports: a QEMU just killed may still hold them
            check_free(port.host, taken, publish_all=record.publish_all, grace=5.0)
    for nic in record.links:
        nic.hotplug = False  # from now on on QEMU's command line, like the other NICs
    accels = (
        [record.accel]
        if record.accel
        else accel_mod.candidates(record.accel_requested, record.arch)
    )
    notes: list[str] = []

    def say(text: str) -> None:
        notes.append(text)
        note(text)

    timings = boot(record, accels, timeout=timeout, note=say)
    return RunResult(record, timings, notes)


def stop(name: str, *, force: bool = False, timeout: float = 30.0) -> MachineRecord:
    """ACPI power-down through QMP; ``quit`` after ``timeout``; ``force`` kills at once."""
    check_timeout(timeout)
    record = load_record(name)
    if _being_created(record):
        raise UsageError(
            f"{name} is still being created by its chr run",
            hint=f"wait until that returns, or remove it: mikrodock chr rm -f {name}",
        )
    pid = running_pid(record)
    if pid and not force:
        sock = record.dir / "qmp.sock"
        try:
            qmp_call(sock, "system_powerdown")
            if not wait_exit(pid, timeout):
                qmp_call(sock, "quit")
                wait_exit(pid, 5.0)
        except MikrodockError:
            pass
    if pid:
        end_process(pid)
    clean_runtime(record.dir)
    record.status, record.pid = "stopped", 0
    save_record(record)
    return record


def _being_created(record: MachineRecord) -> bool:
    """A new machine whose ``chr run`` still works on it (its record holds no pid yet)."""
    return record.status == "provisioning" and not guard.abandoned(record)


def remove(name: str, *, force: bool = False) -> None:
    """Remove a machine (running ones only with ``force``), a damaged one (its QEMU ended,
    if one runs) or a stray QEMU."""
    from mikrodock.chr.status import remove_stray

    if remove_stray(name):
        return
    folder = machine_dir(name)
    if not folder.exists():
        raise UsageError(f"no machine named {name!r}", hint="see `mikrodock chr ls`")
    try:
        record = load_record(name)
    except MikrodockError:
        if qemu_pid_for(folder) and not force:
            raise UsageError(
                f"{name} is damaged and its QEMU still runs", hint=f"use `chr rm -f {name}`"
            ) from None
        end_process(qemu_pid_for(folder))
        shutil.rmtree(folder, ignore_errors=True)
        return
    if _being_created(record) and not force:
        raise UsageError(
            f"{name} is still being created by its chr run", hint=f"use `chr rm -f {name}`"
        )
    if running_pid(record) and not force and not guard.abandoned(record):
        raise UsageError(f"{name} is running", hint=f"stop it first or use `chr rm -f {name}`")
    links_mod.unlink_peers(record)
    destroy(record)


def exec_script(name: str, script: str) -> str:
    """Run a RouterOS script through REST ``/execute``; returns what it printed (``ret``)."""
    record = load_record(name)
    if not running_pid(record):
        raise UsageError(f"{name} is not running", hint=f"start it: mikrodock chr start {name}")
    with router_for(record) as ros:
        return ros.execute(script)


def ssh_config(name: str) -> str:
    record = load_record(name)
    return (
        f"Host {record.name}\n"
        f"    HostName 127.0.0.1\n"
        f"    Port {record.host_port(22)}\n"
        f"    User {record.user}\n"
        f"    StrictHostKeyChecking no\n"
        f"    UserKnownHostsFile {os.devnull}\n"
    )
