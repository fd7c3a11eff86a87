"""Container networking on RouterOS: a bridge per network, a VETH per container, NAT rules.

A network (default ``mikrodock``) is a bridge with the gateway address of a /24 subnet chosen so
that it clashes with no address on the router, plus one masquerade rule for the subnet; its
objects carry the comment ``mikrodock:net:<network>``. A container gets a VETH with the next free
address, a bridge port, one dst-nat per ``-p``, and accept rules in the forward chain only where
that chain drops by default. Those carry the container's own tag.
"""

from __future__ import annotations

import ipaddress
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass

from mikrodock.containers.spec import TAG_PREFIX, ContainerSpec, PortMapping
from mikrodock.containers.state import Record, RouterState
from mikrodock.containers.steps import Claim, Step, Undo
from mikrodock.errors import PlanError, UsageError
from mikrodock.routeros.values import parse_bool

__all__ = [
    "Forward",
    "Network",
    "container_network_steps",
    "find_network",
    "forwards",
    "network_steps",
    "network_tag",
    "pick_subnet",
    "port_taken",
    "used_addresses",
]

_CANDIDATES = [ipaddress.IPv4Network(f"172.{b}.{c}.0/24") for b in range(17, 32) for c in (0, 1)]
_CANDIDATES += [ipaddress.IPv4Network(f"10.{b}.{c}.0/24") for b in (200, 201) for c in range(8)]
_HARMLESS = {
    ".id",
    "chain",
    "action",
    "comment",
    "log",
    "log-prefix",
    "disabled",
    "dynamic",
    "invalid",
    "bytes",
    "packets",
    ".nextid",
    "connection-state",
}


def network_tag(name: str) -> str:
    """Comment on a network's bridge, gateway address and masquerade rule."""
    return f"{TAG_PREFIX}net:{name}"


@dataclass(frozen=True)
class Network:
    """A network as the router has it (or as a plan will create it)."""

    name: str
    bridge: str
    subnet: ipaddress.IPv4Network
    gateway: ipaddress.IPv4Address
    exists: bool


def _networks_of(records: Sequence[Record]) -> list[ipaddress.IPv4Network]:
    nets = []
    for record in records:
        try:
            nets.append(ipaddress.IPv4Interface(record.get("address", "")).network)
        except ValueError:
            continue
    return nets


def find_network(state: RouterState, name: str) -> Network | None:
    """The network ``name`` if its tagged bridge and gateway address exist on the router."""
    tag = network_tag(name)
    bridge = next((b for b in state.bridges if b.get("comment") == tag), None)
    address = next((a for a in state.addresses if a.get("comment") == tag), None)
    if bridge is None or address is None:
        return None
    iface = ipaddress.IPv4Interface(address["address"])
    return Network(name, bridge.get("name", name), iface.network, iface.ip, True)


def pick_subnet(state: RouterState) -> ipaddress.IPv4Network:
    """The first candidate /24 that overlaps no address on the router."""
    taken = _networks_of(state.addresses) + _networks_of(state.veths)
    for candidate in _CANDIDATES:
        if not any(candidate.overlaps(net) for net in taken):
            return candidate
    raise PlanError(
        "no free private /24 subnet for the container network",
        hint="create one with `mikrodock network create --subnet A.B.C.0/24 NAME`",
    )


def _tagged(records: Sequence[Record], tag: str) -> Record | None:
    return next((r for r in records if r.get("comment") == tag), None)


def network_steps(
    name: str, state: RouterState, subnet: ipaddress.IPv4Network | None = None
) -> tuple[Network, list[Step]]:
    """The network ``name``: as it exists, or with the steps that create what it lacks.

    A bridge, gateway address or masquerade rule that carries the network's tag is taken as
    it is, whoever made it (another mikrodock may have made it a moment ago); only the missing
    ones are added. They are shared: undone only while no container uses the network."""
    tag = network_tag(name)
    bridge = _tagged(state.bridges, tag)
    address = _tagged(state.addresses, tag)
    masquerade = next(
        (r for r in state.nat if r.get("comment") == tag and r.get("chain") == "srcnat"), None
    )
    if bridge is None and name in state.names(state.bridges):
        raise PlanError(
            f"a bridge named {name!r} exists but mikrodock did not make it",
            hint="pick another --network name; mikrodock never takes over objects it did not tag",
        )
    bridge_name = bridge.get("name", name) if bridge is not None else name
    steps: list[Step] = []
    if bridge is None:
        steps.append(
            Step(
                "add",
                "interface/bridge",
                {"name": name, "comment": tag},
                f"bridge for network {name}",
                key=f"net:{name}:bridge",
                undo=Undo("release"),
                find=(("name", name),),
            )
        )
    if address is not None:
        iface = ipaddress.IPv4Interface(address.get("address", ""))
        subnet, gateway = iface.network, iface.ip
    else:
        if subnet is None:
            subnet = pick_subnet(state)
        else:
            clash = [n for n in _networks_of(state.addresses) if subnet.overlaps(n)]
            if clash:
                raise UsageError(f"subnet {subnet} overlaps {clash[0]} on the router")
        gateway = next(subnet.hosts())
        steps.append(
            Step(
                "add",
                "ip/address",
                {
                    "address": f"{gateway}/{subnet.prefixlen}",
                    "interface": bridge_name,
                    "comment": tag,
                },
                f"gateway address of network {name}",
                key=f"net:{name}:address",
                undo=Undo("release"),
                find=(("comment", tag),),
                claim=Claim("subnet", name),
            )
        )
    if masquerade is None:
        steps.append(
            Step(
                "add",
                "ip/firewall/nat",
                {
                    "chain": "srcnat",
                    "action": "masquerade",
                    "src-address": str(subnet),
                    "comment": tag,
                },
                f"masquerade traffic leaving network {name}",
                key=f"net:{name}:masquerade",
                undo=Undo("release"),
                find=(("comment", tag),),
                claim=Claim("shared"),
            )
        )
    exists = bridge is not None and address is not None
    return Network(name, bridge_name, subnet, gateway, exists), steps


def used_addresses(state: RouterState) -> set[ipaddress.IPv4Address]:
    """Every IPv4 address a VETH or an ``/ip/address`` of the router has."""
    used = set()
    for record in (*state.veths, *state.addresses):
        try:
            used.add(ipaddress.IPv4Interface(record.get("address", "")).ip)
        except ValueError:
            continue
    return used


def pick_address(
    network: Network, state: RouterState, wanted: str | None, spread: int = 0
) -> ipaddress.IPv4Address:
    """``--ip`` when it is free and inside the subnet, else the next free address.

    With ``spread`` (a retry after another mikrodock took the address first), one of the first
    ``spread`` free addresses at random, so that deploys retrying together pick apart."""
    used = {network.gateway} | used_addresses(state)
    if wanted is not None:
        address = ipaddress.IPv4Address(wanted)
        if address not in network.subnet or address in (
            network.subnet.network_address,
            network.subnet.broadcast_address,
        ):
            raise UsageError(
                f"--ip {wanted} is not a host address of network {network.name} ({network.subnet})",
                hint=f"give an address inside {network.subnet} other than the gateway "
                f"{network.gateway}, or leave --ip out to get the next free one",
            )
        if address in used:
            raise UsageError(
                f"--ip {wanted} is already in use on the router",
                hint="give another address, or leave --ip out to get the next free one",
            )
        return address
    free = (address for address in network.subnet.hosts() if address not in used)
    choices = list(itertools.islice(free, max(spread, 1)))
    if choices:
        return random.choice(choices)
    raise PlanError(
        f"network {network.name} ({network.subnet}) has no free address left",
        hint="remove containers you no longer need, or create another network "
        "(mikrodock network create NAME) and run with --network NAME",
    )


def _free_name(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    for n in range(2, 1000):
        if f"{base}-{n}" not in taken:
            return f"{base}-{n}"
    raise PlanError(f"no free interface name like {base}")


def _forward_drop(state: RouterState) -> Record | None:
    """The first enabled catch-all drop rule of the forward chain, if any."""
    for rule in state.filter:
        if rule.get("chain") != "forward" or rule.get("action") not in ("drop", "reject"):
            continue
        if _true(rule.get("disabled")) or _true(rule.get("invalid")):
            continue
        if set(rule) - _HARMLESS:
            continue
        states = rule.get("connection-state", "")
        if states and "new" not in states.split(","):
            continue
        return rule
    return None


def _true(value: str | None) -> bool:
    try:
        return parse_bool(value)
    except ValueError:
        return False


def _dstnat(
    port: PortMapping, address: str, tag: str, host: int, ctr: int, count: int
) -> dict[str, str]:
    body = {
        "chain": "dstnat",
        "action": "dst-nat",
        "protocol": port.protocol,
        "dst-port": _ports(host, count),
        "to-addresses": address,
        "to-ports": _ports(ctr, count),
        "comment": tag,
    }
    if port.host_ip:
        body["dst-address"] = port.host_ip
    else:
        body["dst-address-type"] = "local"
    return body


def _ports(start: int, count: int) -> str:
    return str(start) if count == 1 else f"{start}-{start + count - 1}"


def _port_span(text: str) -> tuple[int, int] | None:
    """``8080`` or ``8080-8082`` (RouterOS may also list ``80,443``: its outer bounds)."""
    try:
        numbers = [int(n) for part in text.split(",") for n in part.split("-") if n.strip()]
    except ValueError:
        return None
    return (min(numbers), max(numbers)) if numbers else None


@dataclass(frozen=True)
class Forward:
    """The host side of one enabled dst-nat rule: what it takes, and who made it."""

    id: str
    protocol: str
    address: str | None
    low: int
    high: int
    owner: str

    def clashes(self, protocol: str, address: str | None, low: int, high: int) -> bool:
        same_ip = self.address is None or address is None or self.address == address
        return self.protocol == protocol and same_ip and low <= self.high and self.low <= high


def forwards(rules: Sequence[Record]) -> list[Forward]:
    """The host ports the router's enabled dst-nat rules take (tcp and udp)."""
    found = []
    for rule in rules:
        if rule.get("chain") != "dstnat" or _true(rule.get("disabled")):
            continue
        span = _port_span(rule.get("dst-port", ""))
        if span is None or rule.get("protocol") not in ("tcp", "udp"):
            continue
        comment = rule.get("comment", "")
        owner = comment.removeprefix(TAG_PREFIX) if comment.startswith(TAG_PREFIX) else ""
        what = f"container {owner}" if owner else f"dst-nat rule {rule.get('.id', '')}".strip()
        found.append(
            Forward(
                rule.get(".id", ""),
                rule["protocol"],
                rule.get("dst-address") or None,
                span[0],
                span[1],
                what,
            )
        )
    return found


def port_taken(port: PortMapping, owner: str) -> UsageError:
    """The error for a ``-p`` whose host port ``owner`` forwards already."""
    return UsageError(
        f"host port {port.host_ports}/{port.protocol} of -p {port} is already "
        f"forwarded on the router (by {owner})",
        hint="pick another host port, or remove what uses it",
    )


def _check_ports_free(spec: ContainerSpec, state: RouterState) -> None:
    """Refuse a ``-p`` whose host port a dst-nat rule on the router (or another ``-p``) takes."""
    taken = forwards(state.nat)
    for port in spec.ports:
        low, high = port.host_port, port.host_port + port.count - 1
        for other in taken:
            if other.clashes(port.protocol, port.host_ip, low, high):
                raise port_taken(port, other.owner)
        taken.append(Forward("", port.protocol, port.host_ip, low, high, "another -p of this run"))


def container_network_steps(
    spec: ContainerSpec, state: RouterState, network: Network, spread: int = 0
) -> tuple[str, ipaddress.IPv4Address, list[Step]]:
    """VETH, bridge port, dst-nat per ``-p`` and forward accepts: (veth name, address, steps).

    The VETH claims its address and each dst-nat rule its host ports (see
    :class:`~mikrodock.containers.steps.Claim`); ``spread`` is passed to :func:`pick_address`."""
    _check_ports_free(spec, state)
    address = pick_address(network, state, spec.ip, spread)
    veth = _free_name(f"veth-{spec.name}"[:60], state.names(state.veths))
    tag = spec.tag
    steps = [
        Step(
            "add",
            "interface/veth",
            {
                "name": veth,
                "address": f"{address}/{network.subnet.prefixlen}",
                "gateway": str(network.gateway),
                "comment": tag,
            },
            f"VETH for {spec.name} at {address}",
            key="veth",
            undo=Undo("remove"),
            find=(("name", veth),),
            claim=Claim("address", str(address)),
        ),
        Step(
            "add",
            "interface/bridge/port",
            {"bridge": network.bridge, "interface": veth, "comment": tag},
            f"attach {veth} to bridge {network.bridge}",
            key="bridge-port",
            undo=Undo("remove"),
            find=(("interface", veth),),
        ),
    ]
    for index, port in enumerate(spec.ports):
        # RouterOS maps a to-ports range onto any port of it, not offset by offset: a shifted
        # range becomes one rule per port so each host port reaches its own container port.
        same = port.host_port == port.container_port or port.count == 1
        pairs = (
            [(port.host_port, port.container_port, port.count)]
            if same
            else [(port.host_port + i, port.container_port + i, 1) for i in range(port.count)]
        )
        for sub, (host, ctr, count) in enumerate(pairs):
            steps.append(
                Step(
                    "add",
                    "ip/firewall/nat",
                    _dstnat(port, str(address), tag, host, ctr, count),
                    f"forward {port} to {spec.name}",
                    key=f"dstnat-{index}-{sub}",
                    undo=Undo("remove"),
                    find=(("comment", tag), ("dst-port", _ports(host, count))),
                    claim=Claim("port", str(port)),
                )
            )
    drop = _forward_drop(state)
    if drop is not None:
        for direction in ("src-address", "dst-address"):
            body = {
                "chain": "forward",
                "action": "accept",
                direction: str(address),
                "comment": tag,
                "place-before": drop.get(".id", ""),
            }
            steps.append(
                Step(
                    "add",
                    "ip/firewall/filter",
                    body,
                    f"let {spec.name}'s traffic pass the forward chain's drop rule",
                    key=f"accept-{direction}",
                    undo=Undo("remove"),
                    find=(("comment", tag), (direction, str(address))),
                )
            )
    return veth, address, steps
