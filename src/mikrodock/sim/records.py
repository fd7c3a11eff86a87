"""Plain records of any menu of the command tree: defaults, checks, unset, move, export.

A menu without hand-written behaviour is storage shaped by the tree: a new item gets the
read-only fields RouterOS shows on such records (``disabled``, ``dynamic``, ``invalid``,
``running``, ``mac-address``, counters) when the menu's readable properties name them, and
leaves every other unset property out. Arguments the live router requires must be given;
an ``interface`` that names no interface is refused, as RouterOS refuses it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mikrodock.sim.base import MenuSpec, bad_request, to_text
from mikrodock.sim.state import Item

if TYPE_CHECKING:
    from mikrodock.sim.engine import Engine
    from mikrodock.sim.router import SimRouter
    from mikrodock.sim.tree import Node

__all__ = [
    "CHECKED_MENUS",
    "INTERFACE_KINDS",
    "ITEM_COMMANDS",
    "check_references",
    "check_required",
    "export",
    "generic_spec",
    "move",
    "readable",
    "reset",
]

ITEM_COMMANDS = frozenset(
    {"set", "remove", "enable", "disable", "comment", "unset", "reset", "move"}
)
"""Commands on items named by ``numbers`` that the generic engine models."""

CHECKED_MENUS = frozenset({"ip/address", "ip/firewall/nat", "ip/firewall/filter"})
"""Hand-written menus whose interface references are checked too."""

_READ_ONLY = {
    "disabled": "false",
    "dynamic": "false",
    "invalid": "false",
    "inactive": "false",
    "running": "true",
    "actual-mtu": "1500",
    "bytes": "0",
    "packets": "0",
    "rx-byte": "0",
    "tx-byte": "0",
    "rx-packet": "0",
    "tx-packet": "0",
}
_INTERFACE_ARGS = frozenset({"interface", "in-interface", "out-interface", "master-interface"})
_INTERFACE_MENUS = (
    "interface/bridge",
    "interface/veth",
    "interface/vlan",
    "interface/bonding",
    "interface/wireguard",
    "interface/eoip",
    "interface/gre",
    "interface/vxlan",
    "interface/macvlan",
    "interface/list",
    "interface/vrrp",
    "interface/wifi",
)


INTERFACE_KINDS = frozenset(
    {"interface/ethernet", *(m for m in _INTERFACE_MENUS if m != "interface/list")}
)
"""Menus whose items are interfaces: their names share one namespace, as in ``/interface``."""


def readable(router: SimRouter, spec: MenuSpec) -> tuple[str, ...]:
    node = router.tree.menu(tuple(spec.name.split("/")))
    return node.props if node is not None else ()


def _defaults(node: Node, menu: str) -> Any:
    def make(router: SimRouter) -> Item:
        item: Item = {}
        for key, value in _READ_ONLY.items():
            if key in node.props:
                item[key] = value
        if "mac-address" in node.props and "add" in node.commands:
            number = router.state.menu(menu).next_id
            item["mac-address"] = f"02:00:00:00:{(number >> 8) & 255:02X}:{number & 255:02X}"
        return item

    return make


def generic_spec(menu: str, node: Node) -> MenuSpec:
    """A spec for a menu the simulator knows only from the tree."""
    kind = node.kind
    return MenuSpec(
        menu,
        kind="list" if kind in ("list", "fixed") else kind,  # type: ignore[arg-type]
        unique="name" if "name" in node.commands.get("add", {}) else None,
        defaults=_defaults(node, menu) if kind == "list" else None,
        generic=True,
    )


def check_required(router: SimRouter, spec: MenuSpec, item: Item) -> None:
    node = router.tree.menu(tuple(spec.name.split("/")))
    for name in node.required if node is not None else ():
        if not item.get(name):
            raise bad_request(f"missing ={name}=")


def interface_names(router: SimRouter) -> set[str]:
    names = {"ether1", "lo", "all", "none", "dynamic", "static"}
    for menu in _INTERFACE_MENUS:
        names.update(i.get("name", "") for i in router.state.menus.get(menu, _EMPTY).items)
    return names


class _Empty:
    items: list[Item] = []  # noqa: RUF012 - read-only stand-in for a missing menu


_EMPTY = _Empty()


def check_references(router: SimRouter, props: Item) -> None:
    """Refuse an interface argument that names no interface (``!name`` and lists allowed)."""
    known: set[str] | None = None
    for key in _INTERFACE_ARGS & props.keys():
        value = props[key].lstrip("!")
        if not value:
            continue
        known = known if known is not None else interface_names(router)
        if value not in known:
            raise bad_request(f"input does not match any value of {key}")
    certificate = props.get("certificate")
    if certificate and certificate != "none":
        names = {c.get("name") for c in router.state.menus.get("certificate", _EMPTY).items}
        if certificate not in names:
            raise bad_request("input does not match any value of certificate")


def reset(router: SimRouter, spec: MenuSpec, item: Item, args: dict[str, Any], how: str) -> None:
    """``unset value-name=x`` drops one property; ``reset`` drops every settable one."""
    if how == "unset":
        name = to_text(args.get("value-name", ""))
        if not name:
            raise bad_request("missing =value-name=")
        item.pop(name, None)
        return
    node = router.tree.menu(tuple(spec.name.split("/")))
    settable = set(node.commands.get("set", {})) if node is not None else set()
    for key in settable - {"numbers", "name"}:
        item.pop(key, None)


def move(router: SimRouter, spec: MenuSpec, item: Item, destination: str) -> None:
    """Put ``item`` before the item ``destination`` names (at the end without one)."""
    items = router.state.menu(spec.name).items
    items.remove(item)
    target = next((i for i in items if i.get(".id") == destination), None) if destination else None
    items.insert(items.index(target) if target is not None else len(items), item)


def export(engine: Engine, spec: MenuSpec) -> str:
    """The menu's items as the console's ``export`` writes them."""
    lines = [f"/{spec.name.replace('/', ' ')}"]
    skip = {".id", "dynamic", "invalid", "running", "actual-mtu", "bytes", "packets"}
    command = "set" if spec.kind == "singleton" else "add"
    for item in engine.items(spec):
        words = [f"{k}={_quote(v)}" for k, v in item.items() if k not in skip and v != ""]
        lines.append(" ".join([command, *words]))
    return "\n".join(lines)


def _quote(value: str) -> str:
    return f'"{value}"' if any(c in value for c in ' "\\;$[]{}') else value
