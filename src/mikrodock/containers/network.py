"""Container networking on RouterOS: a bridge per network, a VETH per container, NAT rules.

A network (default ``mikrodock``) is a bridge with the gateway address of a /24 subnet chosen so
that it clashes with no address on the router, plus one masquerade rule for the subnet; its
objects carry the comment ``mikrodock:net:<network>``. A container gets a VETH with the next free
address, a bridge port, one dst-nat per ``-p``, and accept rules in the forward chain only where
that chain drops by default. Those carry the container's own tag.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from mikrodock.containers.spec import TAG_PREFIX, ContainerSpec, PortMapping
from mikrodock.containers.state import Record, RouterState
from mikrodock.containers.steps import Step, Undo
from mikrodock.errors import PlanError, UsageError
from mikrodock.routeros.values import parse_bool

__all__ = [
    "Network",
    "container_network_steps",
    "find_network",
    "network_steps",
    "network_tag",
    "pick_subnet",
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


def network_steps(
    name: str, state: RouterState, subnet: ipaddress.IPv4Network | None = None
) -> tuple[Network, list[Step]]:
    """The network ``name``: as it exists, or with the steps that create it."""
    found = find_network(state, name)
    if found is not None:
        return found, []
    if name in state.names(state.bridges):
        raise PlanError(
            f"a bridge named {name!r} exists but mikrodock did not make it",
            hint="pick another --network name; mikrodock never takes over objects it did not tag",
        )
    if subnet is None:
        subnet = pick_subnet(state)
    else:
        clash = [n for n in _networks_of(state.addresses) if subnet.overlaps(n)]
        if clash:
            raise UsageError(f"subnet {subnet} overlaps {clash[0]} on the router")
    gateway = next(subnet.hosts())
    tag = network_tag(name)
    steps = [
        Step(
            "add",
            "interface/bridge",
            {"name": name, "comment": tag},
            f"bridge for network {name}",
            key=f"net:{name}:bridge",
            undo=Undo("remove"),
            find=(("name", name),),
        ),
        Step(
            "add",
            "ip/address",
            {"address": f"{gateway}/{subnet.prefixlen}", "interface": name, "comment": tag},
            f"gateway address of network {name}",
            key=f"net:{name}:address",
            undo=Undo("remove"),
            find=(("comment", tag),),
        ),
        Step(
            "add",
            "ip/firewall/nat",
            {"chain": "srcnat", "action": "masquerade", "src-address": str(subnet), "comment": tag},
            f"masquerade traffic leaving network {name}",
            key=f"net:{name}:masquerade",
            undo=Undo("remove"),
            find=(("comment", tag),),
        ),
    ]
    return Network(name, name, subnet, gateway, False), steps


def pick_address(network: Network, state: RouterState, wanted: str | None) -> ipaddress.IPv4Address:
    """``--ip`` when it is free and inside the subnet, else the next free address."""
    used = {network.gateway}
    for record in (*state.veths, *state.addresses):
        try:
            used.add(ipaddress.IPv4Interface(record.get("address", "")).ip)
        except ValueError:
            continue
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
    for address in network.subnet.hosts():
        if address not in used:
            return address
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


def _check_ports_free(spec: ContainerSpec, state: RouterState) -> None:
    """Refuse a ``-p`` whose host port a dst-nat rule on the router (or another ``-p``) takes."""
    taken: list[tuple[str, str | None, tuple[int, int], str]] = []
    for rule in state.nat:
        if rule.get("chain") != "dstnat" or _true(rule.get("disabled")):
            continue
        span = _port_span(rule.get("dst-port", ""))
        if span is None or rule.get("protocol") not in ("tcp", "udp"):
            continue
        comment = rule.get("comment", "")
        owner = comment.removeprefix(TAG_PREFIX) if comment.startswith(TAG_PREFIX) else ""
        what = f"container {owner}" if owner else f"dst-nat rule {rule.get('.id', '')}".strip()
        taken.append((rule["protocol"], rule.get("dst-address") or None, span, what))
    for port in spec.ports:
        low, high = port.host_port, port.host_port + port.count - 1
        for protocol, ip, (first, last), what in taken:
            same_ip = ip is None or port.host_ip is None or ip == port.host_ip
            if protocol == port.protocol and same_ip and low <= last and first <= high:
                raise UsageError(
                    f"host port {port.host_ports}/{port.protocol} of -p {port} is already "
                    f"forwarded on the router (by {what})",
                    hint="pick another host port, or remove what uses it",
                )
        taken.append((port.protocol, port.host_ip, (low, high), "another -p of this run"))


def container_network_steps(
    spec: ContainerSpec, state: RouterState, network: Network
) -> tuple[str, ipaddress.IPv4Address, list[Step]]:
    """VETH, bridge port, dst-nat per ``-p`` and forward accepts: (veth name, address, steps)."""
    _check_ports_free(spec, state)
    address = pick_address(network, state, spec.ip)
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
