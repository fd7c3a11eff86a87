"""What is running: machine states for ``chr ls``, and strays (orphans) in both directions.

- a *dead* machine: its record says running but its QEMU is gone (crashed, killed, rebooted
  host); ``chr rm`` cleans it, ``chr start`` boots it again;
- a *stray* QEMU: a process started for a machine folder that no longer exists; ``chr ls``
  lists it and ``chr rm NAME`` ends it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from mikrodock.chr import guard
from mikrodock.chr.process import end_process, find_strays, running_pid
from mikrodock.chr.state import Link, MachineRecord, PortForward, list_records, ports_json

__all__ = ["MachineStatus", "list_machines", "remove_stray", "running_pid"]


@dataclass
class MachineStatus:
    """One line of ``chr ls``."""

    name: str
    state: str
    """running | stopped | dead (QEMU gone) | creating | not provisioned (its ``chr run`` died
    before the router had a password; QEMU ended, ports closed) | damaged (unreadable
    machine.json) | stray (QEMU without folder)"""
    version: str = ""
    """the RouterOS version the router reported (the image's before it first answered)"""
    image: str = ""
    """the cached image it was made from, as ``chr images`` names it"""
    arch: str = ""
    accel: str = ""
    ports: tuple[PortForward, ...] = ()
    uptime: float = 0.0
    pid: int = 0
    url: str = ""
    source: str = ""
    links: list[Link] = field(default_factory=list)
    """extra NICs: interface, peer (``machine:interface`` or ''), mac, UDP ports"""

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name, "state": self.state, "version": self.version, "image": self.image,
            "arch": self.arch,
            "accel": self.accel, "ports": ports_json(self.ports), "uptime": round(self.uptime, 1),
            "pid": self.pid, "url": self.url, "source": self.source,
            "links": [_link(nic) for nic in self.links],
        }  # fmt: skip


def _state(record: MachineRecord, pid: int) -> str:
    if record.status == "provisioning":
        if guard.abandoned(record):
            # its chr run died: the router may still have its empty password, so end it
            for qemu in {pid, *guard.pids_with_pidfile(record.dir / "qemu.pid")} - {0}:
                end_process(qemu)
            return "not provisioned"
        return "creating"
    if pid:
        return "running" if record.status != "creating" else "creating"
    if record.status in ("running", "creating"):
        return "dead"
    return "stopped"


def _link(nic: Link) -> dict[str, object]:
    return {
        "interface": nic.interface, "peer": nic.peer, "mac": nic.mac, "local_udp": nic.local,
        "remote_udp": nic.remote,
    }  # fmt: skip


def list_machines() -> list[MachineStatus]:
    records, damaged = list_records()
    now = time.time()
    found: list[MachineStatus] = []
    for record in records:
        pid = running_pid(record)
        state = _state(record, pid)
        pid = 0 if state == "not provisioned" else pid
        found.append(
            MachineStatus(
                name=record.name,
                state=state,
                version=record.version,
                image=record.image,
                arch=record.arch,
                accel=record.accel,
                ports=record.ports,
                uptime=now - record.started_at if pid and record.started_at else 0.0,
                pid=pid,
                url=record.url,
                source=record.source,
                links=list(record.links),
            )
        )
    found.extend(MachineStatus(name=name, state="damaged") for name in damaged)
    found.extend(MachineStatus(name=s.name, state="stray", pid=s.pid) for s in find_strays())
    return found


def remove_stray(name: str) -> bool:
    """End the stray QEMU(s) started for a removed machine named ``name``; True if any."""
    strays = [s for s in find_strays() if s.name == name]
    for stray in strays:
        end_process(stray.pid)
    return bool(strays)
