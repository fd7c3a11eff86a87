"""``chr run --link PEER:etherN``: wire a new machine to a running one.

The new machine gets an extra NIC on its command line; the running peer gets a NEW NIC
hot-plugged through QMP (``netdev_add`` of a UDP socket netdev, then ``device_add
virtio-net-pci`` on one of the empty PCIe root ports every machine has, see
:data:`mikrodock.chr.argv.HOTPLUG_PORTS`). The two NICs send each other frames over a pair of
UDP sockets on 127.0.0.1, exactly like lab links.

A NIC can only be added after the peer's last one, so the peer's interface must be its next
free one (``ether2`` for a machine without links). The new machine's side is its next free
interface unless named (``--link r1:ether2=ether3``); interfaces left out in between get an
unplugged NIC, so the numbering stays what was asked.

Both records hold the link (``peer`` = ``machine:interface``, ``peer_machine``); removing either
machine unplugs the cable in the other's record (``peer`` becomes empty; the NIC stays, so the
peer's interface numbering does not move).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from qemu.qmp import ExecuteError

from mikrodock.chr.argv import HOTPLUG_PORTS
from mikrodock.chr.ports import pick_free
from mikrodock.chr.qmp import qmp_call
from mikrodock.chr.state import Link, MachineRecord, list_records, load_record, save_record
from mikrodock.chr.status import running_pid
from mikrodock.errors import MachineError, MikrodockError, UsageError

__all__ = [
    "LinkPlan",
    "LinkRequest",
    "check_peers",
    "hotplug",
    "interface_of",
    "parse_link",
    "release",
    "reserve",
    "unlink_peers",
]

_IFACE = r"ether([2-9]|[1-9][0-9])"
_LINK = re.compile(rf"^([a-z0-9][a-z0-9_-]{{0,39}}):{_IFACE}(?:=(?:self:)?{_IFACE})?$")
_HINT = "write --link PEER:etherN (like r1:ether2), or PEER:etherN=etherM to name this side"


@dataclass(frozen=True)
class LinkRequest:
    """One ``--link``: the running ``peer``'s interface, and this machine's (0: next free)."""

    peer: str
    peer_ether: int
    ether: int = 0


def parse_link(text: str) -> LinkRequest:
    """``r1:ether2`` or ``r1:ether2=ether3`` -> LinkRequest; UsageError otherwise."""
    match = _LINK.match(text.strip())
    if not match:
        raise UsageError(f"bad --link {text!r}", hint=_HINT)
    return LinkRequest(match[1], int(match[2]), int(match[3] or 0))


def interface_of(index: int) -> str:
    """The RouterOS name of extra NIC number ``index`` (0 -> ether2; ether1 is management)."""
    return f"ether{index + 2}"


def _peer(request: LinkRequest) -> MachineRecord:
    record = load_record(request.peer)
    if not running_pid(record):
        raise UsageError(
            f"--link peer {request.peer} is not running",
            hint=f"start it first: mikrodock chr start {request.peer}",
        )
    wanted = len(record.links) + 2
    if request.peer_ether != wanted:
        raise UsageError(
            f"--link {request.peer}:ether{request.peer_ether}: a new NIC on {request.peer} "
            f"becomes ether{wanted}",
            hint=f"write --link {request.peer}:ether{wanted}",
        )
    return record


def check_peers(requests: list[LinkRequest]) -> None:
    """Every check that needs no lock: peers exist and run, interfaces fit, no duplicates."""
    peers = [r.peer for r in requests]
    if len(set(peers)) != len(peers):
        raise UsageError("two --link to the same machine", hint="give one --link per peer")
    own = [r.ether for r in requests if r.ether]
    if len(set(own)) != len(own):
        raise UsageError("two --link name the same interface here", hint=_HINT)
    for request in requests:
        _peer(request)


@dataclass
class LinkPlan:
    """The new machine's extra NICs and the NICs reserved on running peers."""

    nics: list[Link]
    peers: list[tuple[str, Link]] = field(default_factory=list)
    plugged: list[tuple[str, Link]] = field(default_factory=list)


def _taken(records: list[MachineRecord]) -> set[int]:
    taken: set[int] = set()
    for record in records:
        taken.update(port.host for port in record.ports)
        for nic in record.links:
            taken.update((nic.local, nic.remote))
    return taken


def reserve(name: str, requests: list[LinkRequest], macs: Callable[[], str]) -> LinkPlan:
    """Plan the NICs of machine ``name`` and record the peers' new NICs.

    Call under the allocation lock (the peers' records then already hold their UDP ports).
    ``macs()`` gives a new MAC address.
    """
    check_peers(requests)
    free = iter(range(2, 2 + len(requests) + 100))
    chosen: dict[int, LinkRequest] = {r.ether: r for r in requests if r.ether}
    for request in requests:
        if not request.ether:
            ether = next(e for e in free if e not in chosen)
            chosen[ether] = request
    highest = max(chosen)
    ports = iter(pick_free(2 * (highest - 1), _taken(list_records()[0]), udp=True))
    nics: list[Link] = []
    plan = LinkPlan(nics)
    for ether in range(2, highest + 1):
        nic = Link(interface=f"ether{ether}", local=next(ports), remote=0, mac=macs())
        wanted = chosen.get(ether)
        if wanted is None:
            nic.remote = next(ports)
        else:
            peer = load_record(wanted.peer)
            peer_nic = Link(
                interface=f"ether{wanted.peer_ether}", local=next(ports), remote=nic.local,
                mac=macs(), peer=f"{name}:ether{ether}", peer_machine=name, hotplug=True,
            )  # fmt: skip
            nic.remote = peer_nic.local
            nic.peer = f"{wanted.peer}:ether{wanted.peer_ether}"
            nic.peer_machine = wanted.peer
            peer.links.append(peer_nic)
            save_record(peer)
            plan.peers.append((wanted.peer, peer_nic))
        nics.append(nic)
    return plan


def _ids(nic: Link) -> tuple[str, str]:
    return f"link{nic.local}", f"nic{nic.local}"


def hotplug(plan: LinkPlan) -> None:
    """Plug each reserved NIC into its running peer (QMP); MachineError when one fails."""
    for peer_name, nic in plan.peers:
        sock = load_record(peer_name).dir / "qmp.sock"
        netdev, device = _ids(nic)
        qmp_call(sock, "netdev_add", {
            "type": "socket", "id": netdev, "udp": f"127.0.0.1:{nic.remote}",
            "localaddr": f"127.0.0.1:{nic.local}",
        })  # fmt: skip
        errors: list[str] = []
        for bus in HOTPLUG_PORTS:
            try:
                qmp_call(sock, "device_add", {
                    "driver": "virtio-net-pci", "id": device, "netdev": netdev,
                    "mac": nic.mac, "bus": bus, "addr": "0",
                })  # fmt: skip  # a root port has one slot; addr=0 fails when it is taken
                break
            except (MikrodockError, ExecuteError) as exc:
                errors.append(str(exc))
        else:
            _quietly(sock, "netdev_del", {"id": netdev})
            raise MachineError(
                f"cannot plug a new NIC into {peer_name}: {errors[-1] if errors else '?'}",
                hint=f"{peer_name} has no free hot-plug slot left; restart it to free them",
            )
        plan.plugged.append((peer_name, nic))


def _quietly(sock: Any, command: str, args: dict[str, Any]) -> None:
    with contextlib.suppress(MikrodockError, ExecuteError):
        qmp_call(sock, command, args)


def release(plan: LinkPlan) -> None:
    """Undo :func:`reserve` and :func:`hotplug` (a failed run leaves the peers as they were)."""
    for peer_name, nic in plan.peers:
        try:
            peer = load_record(peer_name)
        except MikrodockError:
            continue
        if (peer_name, nic) in plan.plugged and running_pid(peer):
            netdev, device = _ids(nic)
            _quietly(peer.dir / "qmp.sock", "device_del", {"id": device})
            _quietly(peer.dir / "qmp.sock", "netdev_del", {"id": netdev})
        peer.links = [n for n in peer.links if n.local != nic.local]
        save_record(peer)


def unlink_peers(record: MachineRecord) -> None:
    """Unplug the cables of the machines ``record`` was linked to (it is being removed)."""
    for peer_name in {n.peer_machine for n in record.links} - {""}:
        try:
            peer = load_record(peer_name)
        except MikrodockError:
            continue
        for nic in peer.links:
            if nic.peer_machine == record.name:
                nic.peer, nic.peer_machine = "", ""
        save_record(peer)
