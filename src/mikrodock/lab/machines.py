"""Labs: several routers and the links between them, started and removed together.

A lab file (see :mod:`mikrodock.lab.labfile`) names routers and links like
``r1:ether2=r2:ether2``. ether1 of every router is its management NIC (QEMU user network with
the forwarded ports); etherN (N >= 2) is the (N-1)th extra virtio-net NIC. A link joins two
NICs through a pair of UDP sockets on 127.0.0.1 (QEMU ``-netdev socket,udp=...``), so neither
end has to start first; an interface that no link uses gets sockets that go nowhere, so the
numbering of the others stays what the file says.

Machines are named ``<lab>-<router>`` and carry the lab's name in their record; ``lab down``
removes exactly those. Routers start in parallel; when one fails, the whole lab is removed.
Each router's startup script runs once through REST ``/execute`` after its first boot.
"""

from __future__ import annotations

import concurrent.futures
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mikrodock.chr import machine
from mikrodock.chr.ports import pick_free
from mikrodock.chr.state import Link, allocation_lock, list_records
from mikrodock.chr.status import list_machines
from mikrodock.errors import MachineError, UsageError
from mikrodock.lab.labfile import Lab, LabRouter, load_lab

__all__ = ["LabStatus", "lab_down", "lab_ls", "lab_up", "machine_name", "plan_links"]

Note = Callable[[str], None]


def machine_name(lab: str, router: str) -> str:
    name = re.sub(r"[^a-z0-9_-]", "-", f"{lab}-{router}".lower())
    return name[:40]


def _ether(interface: str) -> int:
    return int(interface.removeprefix("ether"))


def plan_links(lab: Lab, ports: list[int], macs: Callable[[], str]) -> dict[str, list[Link]]:
    """Extra NICs per router (ether2 first), wired as the lab's links say.

    ``ports`` gives one free UDP port per NIC; pure apart from ``macs``.
    """
    wanted = _highest_ether(lab)
    supply = iter(ports)
    nics: dict[str, list[Link]] = {}
    for router in lab.routers:
        nics[router.name] = [
            Link(interface=f"ether{ether}", local=next(supply), remote=0, mac=macs())
            for ether in range(2, wanted[router.name] + 1)
        ]
    for link in lab.links:
        a = nics[link.a.router][_ether(link.a.interface) - 2]
        b = nics[link.b.router][_ether(link.b.interface) - 2]
        a.remote, b.remote = b.local, a.local
        a.peer = f"{link.b.router}:{link.b.interface}"
        b.peer = f"{link.a.router}:{link.a.interface}"
    for router_nics in nics.values():
        for nic in router_nics:
            if not nic.remote:
                nic.remote = next(supply)  # a port nobody listens on: an unplugged cable
    return nics


def _highest_ether(lab: Lab) -> dict[str, int]:
    wanted: dict[str, int] = {router.name: 1 for router in lab.routers}
    for link in lab.links:
        for end in (link.a, link.b):
            wanted[end.router] = max(wanted[end.router], _ether(end.interface))
    return wanted


def _ports_needed(lab: Lab) -> int:
    """Two per extra NIC at most (its own, and a dead-end peer when it is not linked)."""
    return 2 * sum(highest - 1 for highest in _highest_ether(lab).values())


Phase = Callable[[str, str], None]
"""Hears ``(router, what it is doing now)`` while a lab comes up."""


def _start_one(
    lab: Lab, router: LabRouter, nics: list[Link], note: Note, phase: Phase
) -> machine.RunResult:
    request = machine.RunRequest(
        image=router.version, image_path=router.image, name=machine_name(lab.name, router.name),
        arch=router.arch, memory=router.memory, cpus=router.cpus, links=tuple(nics),
        lab=lab.name,
    )  # fmt: skip
    result = machine.run(request, note=note, phase=lambda text: phase(router.name, text))
    if router.startup is not None:
        phase(router.name, f"running its startup script {router.startup.name}")
        script = router.startup.read_text()
        machine.exec_script(result.record.name, script)
    phase(router.name, "ready")
    return result


def lab_up(
    path: Path, *, note: Note = lambda _: None, phase: Phase = lambda _router, _text: None
) -> list[machine.RunResult]:
    """Start every router of the lab file at ``path`` with its links; all or nothing.
    ``phase`` hears each router's boot phases (they boot side by side)."""
    lab = load_lab(path)
    existing = {record.name for record in list_records()[0]}
    clash = [
        machine_name(lab.name, r.name)
        for r in lab.routers
        if machine_name(lab.name, r.name) in existing
    ]
    if clash:
        raise UsageError(
            f"lab {lab.name} is already up ({', '.join(clash)})",
            hint=f"take it down first: mikrodock lab down {path}",
        )
    with allocation_lock():
        records = list_records()[0]
        taken = {p.host for r in records for p in r.ports}
        taken |= {port for r in records for nic in r.links for port in (nic.local, nic.remote)}
        ports = pick_free(_ports_needed(lab), taken, udp=True)
    nics = plan_links(lab, ports, machine.random_mac)
    results: list[machine.RunResult] = []
    failures: list[BaseException] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(lab.routers)) as pool:
        futures = [pool.submit(_start_one, lab, r, nics[r.name], note, phase) for r in lab.routers]
        for future in futures:
            try:
                results.append(future.result())
            except BaseException as exc:
                failures.append(exc)
    if failures:
        lab_down(lab.name)
        first = failures[0]
        if isinstance(first, UsageError | MachineError):
            raise first
        raise MachineError(f"lab {lab.name} did not start: {first}") from first
    return results


def _lab_name(name_or_file: str) -> str:
    path = Path(name_or_file)
    if path.suffix in (".yaml", ".yml") and path.exists():
        return load_lab(path).name
    return name_or_file


def lab_down(name_or_file: str) -> list[str]:
    """Remove every machine of a lab (given by name or by its file); returns their names."""
    lab = _lab_name(name_or_file)
    names = [record.name for record in list_records()[0] if record.lab == lab]
    for name in names:
        machine.remove(name, force=True)
    return names


@dataclass
class LabStatus:
    name: str
    machines: dict[str, str]
    """machine name -> state"""


def lab_ls() -> list[LabStatus]:
    states = {item.name: item.state for item in list_machines()}
    labs: dict[str, dict[str, str]] = {}
    for record in list_records()[0]:
        if record.lab:
            labs.setdefault(record.lab, {})[record.name] = states.get(record.name, "?")
    return [LabStatus(name, found) for name, found in sorted(labs.items())]
