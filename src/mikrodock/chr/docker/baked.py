"""A router snapshot baked into the image (``chr dockerfile --snapshot``), restored at start.

During the image build :func:`bake` boots the router once under TCG, pauses it, writes its memory
and devices (QMP ``migrate``) and a copy of its disk into one folder of the image, with
``snapshot.json`` saying what hardware it needs: architecture, memory, CPUs, the number of data
NICs (a fixed set, so the devices match whatever the container wires to them), the CPU model and
the QEMU that wrote it. The machine itself is removed afterwards; the image keeps only the folder.

The CPU model is fixed and portable: QEMU's ``qemu64`` is passed explicitly (``-cpu``) to the
bake and to every restore, so the saved state holds no host CPU features and the model does not
change with another QEMU's default. The snapshot is made under TCG; on a KVM host the restore
runs under KVM with the same model, and a restore that fails (another QEMU, a CPU KVM cannot
offer) boots cold instead, without marking KVM as failing on the host.

At the first start of a container, :func:`unfit` says why this container cannot take the
snapshot (other memory, CPUs, data NICs or QEMU) or nothing; :func:`take` puts the snapshot's disk
in the machine's folder (a copy, mode 0600) and the caller resumes it with QEMU's incoming state
instead of a boot. After the restore :func:`own_data_macs` gives the data NICs the container's
own MAC addresses (the clock and ether1's: :func:`mikrodock.chr.provision.after_restore`).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from mikrodock.chr import machine, process
from mikrodock.chr.boot import boot
from mikrodock.chr.docker.volume import DISK, ServeRequest, copy_disk, create
from mikrodock.chr.ports import pick_free
from mikrodock.chr.provision import router_for
from mikrodock.chr.qmp import run_qmp
from mikrodock.chr.snapshots import migrate_out
from mikrodock.chr.state import Link, MachineRecord, save_record
from mikrodock.errors import MikrodockError, UsageError

__all__ = ["Baked", "bake", "load", "own_data_macs", "take", "unfit"]

Note = Callable[[str], None]
META = "snapshot.json"
STATE = "state"
MAX_DATA_NICS = 8
CPU_MODELS = {"x86_64": "qemu64"}
"""the CPU model a snapshot is made and restored with, by architecture (x86_64 only)"""


@dataclass(frozen=True)
class Baked:
    """What a baked snapshot needs from the machine that restores it."""

    arch: str
    version: str
    memory_mib: int
    cpus: int
    data_nics: int
    cpu: str
    qemu: str
    """the first line of ``qemu-system-ARCH --version`` that wrote the state"""
    state_bytes: int = 0
    disk_bytes: int = 0
    mac: str = ""
    """ether1's MAC address in the saved state (a restored router is given its own)"""


def qemu_version(arch: str) -> str:
    done = subprocess.run(
        [str(process.find_qemu(arch)), "--version"], capture_output=True, text=True, check=False
    )
    return (done.stdout.splitlines() or ["unknown"])[0].strip()


def load(folder: Path) -> tuple[Baked | None, str]:
    """The snapshot in ``folder``, or None and why not."""
    try:
        data = json.loads((folder / META).read_text())
        baked = Baked(**data)
    except FileNotFoundError:
        return None, f"no snapshot in {folder}"
    except (OSError, ValueError, TypeError) as exc:
        return None, f"the snapshot description {folder / META} is unreadable ({exc})"
    for item in fields(Baked):
        value: object = getattr(baked, item.name)
        if item.type == "int":
            good = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        else:
            good = isinstance(value, str)
        if not good:
            return None, f"the snapshot description {folder / META} has a bad {item.name}"
    for name in (STATE, DISK):
        if not (folder / name).is_file():
            return None, f"the snapshot in {folder} has no {name}"
    return baked, ""


def unfit(baked: Baked, record: MachineRecord, data_nics: int) -> str:
    """Why ``record`` (about to run with ``data_nics`` data NICs) cannot resume ``baked``; empty
    when it can."""
    wants = (record.arch, record.memory_mib, record.cpus, data_nics)
    has = (baked.arch, baked.memory_mib, baked.cpus, baked.data_nics)
    labels = ("architecture", "memory (MiB)", "CPUs", "data interfaces")
    for label, want, got in zip(labels, wants, has, strict=True):
        if want != got:
            return f"this container asks for {label} {want}, the snapshot was made with {got}"
    if baked.cpu != CPU_MODELS.get(baked.arch):
        return f"the snapshot's CPU model {baked.cpu!r} is not the portable one for {baked.arch}"
    current = qemu_version(record.arch)
    if current != baked.qemu:
        return f"the snapshot was written by {baked.qemu}, this is {current}"
    return ""


def take(folder: Path, record: MachineRecord) -> Path:
    """Put the snapshot's disk in place as the machine's; returns the memory state to load."""
    (record.dir / DISK).unlink(missing_ok=True)
    copy_disk(folder / DISK, record.dir)
    return folder / STATE


def own_data_macs(record: MachineRecord) -> list[str]:
    """Give ether2.. the MAC addresses of the record (the restored NICs carry the build's);
    returns notes on what could not be done."""
    if not record.links:
        return []
    try:
        with router_for(record) as ros:
            for ether, nic in enumerate(record.links, start=2):
                change = {"numbers": f"ether{ether}", "mac-address": nic.mac}
                ros.command("interface/ethernet", "set", change)
    except MikrodockError as exc:
        return [f"the data interfaces keep the snapshot's MAC addresses: {exc}"]
    return []


def bake(request: ServeRequest, out: Path, data_nics: int, note: Note) -> Baked:
    """Boot a new machine from ``request`` under TCG (with ``data_nics`` unconnected data NICs),
    save it into ``out`` and remove the machine."""
    if not 0 <= data_nics <= MAX_DATA_NICS:
        raise UsageError(f"--bake-nics {data_nics}", hint=f"give 0 to {MAX_DATA_NICS}")
    if request.arch not in CPU_MODELS:
        raise UsageError(f"no snapshot for {request.arch}", hint="snapshots are for x86_64")
    record = create(request, note)
    try:
        ports = pick_free(2 * data_nics, {port.host for port in record.ports})
        record.links = [
            Link(interface=f"ether{i + 2}", local=ports[2 * i], remote=ports[2 * i + 1],
                 mac=machine.random_mac())
            for i in range(data_nics)
        ]  # fmt: skip
        save_record(record)
        cpu = CPU_MODELS[record.arch]
        timings = boot(record, ["tcg"], timeout=request.boot_timeout, note=note, cpu=cpu)
        note(f"booted in {timings['ready'] - timings['started']:.1f} s; saving the snapshot")
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        save = migrate_out(out / STATE, record.dir / DISK, out / DISK, resume=False)
        run_qmp(record.dir / "qmp.sock", save, timeout=600)
        baked = Baked(
            arch=record.arch, version=record.image, memory_mib=record.memory_mib,
            cpus=record.cpus, data_nics=data_nics, cpu=cpu,
            qemu=qemu_version(record.arch), state_bytes=(out / STATE).stat().st_size,
            disk_bytes=(out / DISK).stat().st_size, mac=record.mac,
        )  # fmt: skip
        (out / META).write_text(json.dumps(asdict(baked), indent=2) + "\n")
        return baked
    finally:
        machine.destroy(record)
