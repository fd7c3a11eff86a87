"""Networks as objects (``network create|ls|rm``) and ``system prune`` of tagged leftovers.

Only objects whose comment mikrodock wrote are ever listed or removed: ``mikrodock:<container>``,
``mikrodock:net:<network>`` and the shared logging rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mikrodock.containers.apply import apply_plan
from mikrodock.containers.flags import check_name, parse_subnet
from mikrodock.containers.network import find_network, network_steps, network_tag
from mikrodock.containers.plan import is_logging_rule_ours
from mikrodock.containers.query import owner_of, valid_name
from mikrodock.containers.spec import APP_MARKER_PREFIX
from mikrodock.containers.state import MENUS, RouterState, read_state
from mikrodock.containers.steps import Plan
from mikrodock.errors import UsageError
from mikrodock.routeros.dialect import Dialect

if TYPE_CHECKING:
    from mikrodock.routeros.client import AsyncRouterClient
    from mikrodock.routeros.version import RouterOSVersion

__all__ = [
    "Leftover",
    "NetworkInfo",
    "apps_log_containers",
    "create_network",
    "leftovers",
    "list_networks",
    "prune",
    "remove_network",
]

_NETWORK_MENUS = ("ip/firewall/nat", "ip/address", "interface/bridge")


@dataclass(frozen=True)
class NetworkInfo:
    name: str
    subnet: str
    gateway: str
    containers: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "subnet": self.subnet,
            "gateway": self.gateway,
            "containers": list(self.containers),
        }


@dataclass(frozen=True)
class Leftover:
    """One tagged object ``prune`` would remove, and why."""

    menu: str
    id: str
    comment: str
    why: str

    def __str__(self) -> str:
        return f"/{self.menu} {self.id} ({self.comment}): {self.why}"


def _attached(
    state: RouterState, bridge: str, leaving: frozenset[str] = frozenset()
) -> tuple[str, ...]:
    """What uses ``bridge``: its ports (but those with an id in ``leaving``, about to go)."""
    names = []
    for port in state.bridge_ports:
        if port.get("bridge") == bridge and port.get(".id") not in leaving:
            names.append(owner_of(port) or port.get("interface", ""))
    return tuple(names)


async def create_network(
    ros: AsyncRouterClient, name: str, subnet: str | None = None
) -> NetworkInfo:
    check_name(name, "network name")
    state = await read_state(ros)
    if find_network(state, name) is not None:
        raise UsageError(f"network {name} already exists")
    net = parse_subnet(subnet) if subnet else None
    network, steps = network_steps(name, state, net)
    await apply_plan(ros, Plan(name, tuple(steps)), Dialect.for_version(state.version))
    return NetworkInfo(name, str(network.subnet), str(network.gateway), ())


async def list_networks(
    ros: AsyncRouterClient, state: RouterState | None = None
) -> list[NetworkInfo]:
    state = state or await read_state(ros)
    found = []
    for bridge in state.bridges:
        comment = bridge.get("comment", "")
        if not comment.startswith(network_tag("")):
            continue
        network = find_network(state, comment[len(network_tag("")) :])
        if network is not None:
            found.append(
                NetworkInfo(
                    network.name,
                    str(network.subnet),
                    str(network.gateway),
                    _attached(state, network.bridge),
                )
            )
    return found


def _network_objects(state: RouterState, name: str) -> list[tuple[str, Mapping[str, str]]]:
    tag = network_tag(name)
    fields = {menu: field for field, menu in MENUS.items()}
    out = []
    for menu in _NETWORK_MENUS:
        for record in getattr(state, fields[menu]):
            if record.get("comment") == tag:
                out.append((menu, record))
    return out


async def remove_network(ros: AsyncRouterClient, name: str) -> list[str]:
    state = await read_state(ros)
    network = find_network(state, name)
    objects = _network_objects(state, name)
    if not objects:
        raise UsageError(f"no such network: {name}", hint="see `mikrodock network ls`")
    if network is not None and _attached(state, network.bridge):
        users = ", ".join(_attached(state, network.bridge))
        raise UsageError(f"network {name} is in use by {users}", hint="remove those containers")
    removed = []
    for menu, record in objects:
        await ros.remove(menu, record[".id"])
        removed.append(f"/{menu} {record['.id']}")
    return removed


async def apps_log_containers(ros: AsyncRouterClient, version: RouterOSVersion) -> bool:
    """Whether an /app that mikrodock deployed (its YAML starts with ``# mikrodock:``) is on the
    router: its services log through the same rule, so that rule is not a leftover."""
    if not Dialect.for_version(version).has_menu("app"):
        return False
    return any(r.get("yaml", "").startswith(APP_MARKER_PREFIX) for r in await ros.print("app"))


def leftovers(state: RouterState, *, apps_logging: bool = False) -> list[Leftover]:
    """Tagged objects whose container is gone, unused networks, and an unneeded logging rule
    (needed while a mikrodock container or, with ``apps_logging``, a mikrodock /app is left)."""
    containers = {owner_of(c) for c in state.containers} | {c.get("name") for c in state.containers}
    managed = [c for c in state.containers if owner_of(c) is not None]
    found: list[Leftover] = []
    for field, menu in MENUS.items():
        if menu == "container":
            continue
        for record in getattr(state, field):
            owner = owner_of(record)
            if owner is not None and owner not in containers:
                found.append(
                    Leftover(
                        menu,
                        record[".id"],
                        record["comment"],
                        f"container {owner} no longer exists",
                    )
                )
    # a network whose only ports go with the leftovers above is unused: pruned in the same pass
    leaving = frozenset(f.id for f in found if f.menu == "interface/bridge/port")
    for network in sorted(_network_names(state)):
        found_net = find_network(state, network)
        if found_net is None or not _attached(state, found_net.bridge, leaving):
            for menu, record in _network_objects(state, network):
                if any(f.id == record[".id"] and f.menu == menu for f in found):
                    continue
                found.append(
                    Leftover(
                        menu,
                        record[".id"],
                        record["comment"],
                        f"network {network} has no containers",
                    )
                )
    if not managed and not apps_logging:
        for rule in state.logging:
            if is_logging_rule_ours(rule):
                found.append(
                    Leftover(
                        "system/logging",
                        rule[".id"],
                        rule.get("comment") or f"prefix={rule.get('prefix')}",
                        "no mikrodock container left to log",
                    )
                )
    return found


def _network_names(state: RouterState) -> set[str]:
    prefix = network_tag("")
    names = set()
    for records in (state.bridges, state.addresses, state.nat):
        for record in records:
            comment = record.get("comment", "")
            name = comment[len(prefix) :]
            if comment.startswith(prefix) and valid_name(name):
                names.add(name)
    return names


_ORDER = (
    "ip/firewall/filter",
    "ip/firewall/nat",
    "interface/bridge/port",
    "interface/veth",
    "container/envs",
    "container/mounts",
    "ip/address",
    "interface/bridge",
    "system/logging",
)


async def prune(ros: AsyncRouterClient, items: list[Leftover]) -> list[str]:
    """Remove the given leftovers (as listed by :func:`leftovers`), dependents first."""
    removed = []
    for leftover in sorted(items, key=lambda x: _ORDER.index(x.menu) if x.menu in _ORDER else 99):
        await ros.remove(leftover.menu, leftover.id)
        removed.append(str(leftover))
    return removed
