"""The router's machine on the container's volume: what ``chr serve`` is asked for, and the first
start that makes the machine (its record and a standalone qcow2 disk, mode 0600).

The disk is a copy, not an overlay on the image's file: the volume needs nothing from the image,
so a newer image reuses it and RouterOS upgrades made inside the router stay.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mikrodock.chr import images, machine, process
from mikrodock.chr.docker.datalinks import Wiring
from mikrodock.chr.docker.dockerfile import CONTAINER_PORTS
from mikrodock.chr.docker.node import NodeIdentity
from mikrodock.chr.ports import pick_free
from mikrodock.chr.state import (
    MachineRecord,
    PortForward,
    allocation_lock,
    list_records,
    machine_dir,
    save_record,
)
from mikrodock.errors import MachineError

__all__ = ["DISK", "ServeRequest", "copy_disk", "create", "make_disk", "udp_forwards"]

Note = Callable[[str], None]
DISK = "disk.qcow2"
DISK_MODE = 0o600


@dataclass
class ServeRequest:
    image: str = "stable"
    """a version or channel, pulled (or found in the cache) on the first start"""
    image_path: Path | None = None
    name: str = "router"
    arch: str = "x86_64"
    memory: str = "256M"
    cpus: int = 1
    accel: str = "auto"
    ports: str = "auto"
    """``container``: every port of CONTAINER_PORTS on the same number (+ ``port_offset``) on
    all interfaces; ``auto``: the TCP ones on free ports of 127.0.0.1"""
    port_offset: int = 0
    password: str | None = None
    """None: generate one on the first start; "": keep RouterOS's empty default"""
    startup_script: Path | None = None
    stop_timeout: float = 30.0
    boot_timeout: float = 300.0
    identity: NodeIdentity = field(default_factory=NodeIdentity)
    """containerlab's --username/--hostname: applied over REST at every start"""
    wiring: Wiring = field(default_factory=lambda: Wiring(0))
    """the data NICs (TAPs joined to the container's interfaces); see :mod:`.datalinks`"""
    wiring_note: str = ""
    """why there are no data NICs although some were asked for"""
    snapshot: Path | None = None
    """a baked snapshot (:mod:`.baked`) to resume on the first start instead of booting"""


def _ports(request: ServeRequest) -> tuple[tuple[PortForward, ...], bool]:
    tcp = [port for port, proto in CONTAINER_PORTS if proto == "tcp"]
    if request.ports == "container":
        return tuple(PortForward(p, p + request.port_offset) for p in tcp), True
    with allocation_lock():
        records, _ = list_records()
        taken = {port.host for record in records for port in record.ports}
        free = pick_free(len(tcp), taken)
        return tuple(PortForward(g, h) for g, h in zip(tcp, free, strict=True)), False


def udp_forwards(request: ServeRequest) -> list[tuple[int, int]]:
    if request.ports != "container":
        return []
    return [(p + request.port_offset, p) for p, proto in CONTAINER_PORTS if proto == "udp"]


def make_disk(base: Path, folder: Path) -> None:
    """A standalone qcow2 copy of ``base``, renamed into place only when complete."""
    partial = folder / (DISK + ".part")
    done = subprocess.run(
        ["qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", str(base), str(partial)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise MachineError(f"cannot copy {base} to {partial}: {done.stderr.strip()}")
    os.chmod(partial, DISK_MODE)
    partial.rename(folder / DISK)


def create(request: ServeRequest, note: Note, *, disk: bool = True) -> MachineRecord:
    """The machine's folder and record; its disk too unless ``disk`` is false (a baked
    snapshot brings its own, see :mod:`.baked`)."""
    mib = machine.memory_mib(request.memory)
    firmware = process.find_firmware() if request.arch == "aarch64" else None
    if request.image_path is not None:
        base = images.import_image(request.image_path, request.arch)
    else:
        base = images.pull(request.image, request.arch)
    ports, publish_all = _ports(request)
    folder = machine_dir(request.name)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if disk:
        note(f"first start: making {request.name}'s disk from RouterOS {base.version}")
        make_disk(base.disk, folder)
    else:
        note(f"first start: a new router from RouterOS {base.version}")
    record = MachineRecord(
        name=request.name, arch=request.arch, image=base.version, base_image=base.disk,
        memory_mib=mib, cpus=request.cpus, accel_requested=request.accel, ports=ports,
        mac=machine.random_mac(), publish_all=publish_all, status="created",
        created_at=time.time(), firmware_code=firmware[0] if firmware else None,
    )  # fmt: skip
    if firmware:
        process.make_vars(firmware[0], firmware[1], folder / "vars.fd")
    save_record(record)
    return record


def copy_disk(source: Path, folder: Path) -> None:
    """``source`` (a standalone qcow2) as the machine's disk, renamed into place when complete."""
    partial = folder / (DISK + ".part")
    try:
        shutil.copyfile(source, partial)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise MachineError(f"cannot copy {source} to {partial}: {exc.strerror}") from exc
    os.chmod(partial, DISK_MODE)
    partial.rename(folder / DISK)
