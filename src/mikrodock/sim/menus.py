"""Every menu the simulator knows, collected from the modules that give them behaviour.

Plain menus (interfaces, addresses, firewall) are storage with RouterOS's default fields and
a few checks (a bridge port needs an existing bridge, names are unique). Whether a menu exists
on the simulated version, and which arguments its commands take, is the version's command
tree's answer (:meth:`mikrodock.sim.router.SimRouter.available`); menus the tree lacks carry
their own ``builtin_args``.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from mikrodock.sim import app, containers, factory, files, logs, packages, resources, users
from mikrodock.sim.base import MenuSpec, bad_request
from mikrodock.sim.state import Item

if TYPE_CHECKING:
    from mikrodock.sim.router import SimRouter

__all__ = ["build_specs"]


def _mac(router: SimRouter, menu: str) -> str:
    number = router.state.menu(menu).next_id
    return f"02:00:00:{(number >> 16) & 255:02X}:{(number >> 8) & 255:02X}:{number & 255:02X}"


def _veth_defaults(router: SimRouter) -> Item:
    return {
        "name": f"veth{router.state.menu('interface/veth').next_id}",
        "address": "",
        "gateway": "",
        "gateway6": "",
        "mac-address": _mac(router, "interface/veth"),
        "disabled": "false",
        "running": "true",
    }


def _bridge_defaults(router: SimRouter) -> Item:
    return {
        "name": f"bridge{router.state.menu('interface/bridge').next_id}",
        "mtu": "auto",
        "actual-mtu": "1500",
        "l2mtu": "65535",
        "arp": "enabled",
        "mac-address": _mac(router, "interface/bridge"),
        "protocol-mode": "rstp",
        "vlan-filtering": "false",
        "disabled": "false",
        "running": "true",
        "dynamic": "false",
    }


def _port_check(router: SimRouter, item: Item) -> None:
    bridges = {b.get("name") for b in router.state.menu("interface/bridge").items}
    if item.get("bridge") not in bridges:
        raise bad_request("input does not match any value of bridge")
    if not item.get("interface"):
        raise bad_request("missing =interface=")


def _address_check(router: SimRouter, item: Item) -> None:
    try:
        interface = ipaddress.ip_interface(item.get("address", ""))
    except ValueError:
        raise bad_request("invalid value for argument address") from None
    if not item.get("interface"):
        raise bad_request("missing =interface=")
    item["network"] = str(interface.network.network_address)
    item["actual-interface"] = item["interface"]


def _rule_defaults(router: SimRouter) -> Item:
    return {
        "chain": "",
        "action": "accept",
        "bytes": "0",
        "packets": "0",
        "disabled": "false",
        "dynamic": "false",
        "invalid": "false",
        "log": "false",
        "log-prefix": "",
    }


def _rule_check(router: SimRouter, item: Item) -> None:
    if not item.get("chain"):
        raise bad_request("missing =chain=")


def _flags(router: SimRouter) -> Item:
    return {"disabled": "false", "dynamic": "false", "invalid": "false"}


def _interface_row(name: str, kind: str, mac: str, disabled: str) -> Item:
    return {
        "name": name,
        "type": kind,
        "mtu": "1500" if kind != "bridge" else "auto",
        "actual-mtu": "1500",
        "l2mtu": "65535" if kind != "veth" else "",
        "mac-address": mac,
        "last-link-up-time": "",
        "link-downs": "0",
        "rx-byte": "0",
        "tx-byte": "0",
        "rx-packet": "0",
        "tx-packet": "0",
        "rx-drop": "0",
        "tx-drop": "0",
        "tx-queue-drop": "0",
        "rx-error": "0",
        "tx-error": "0",
        "fp-rx-byte": "0",
        "fp-tx-byte": "0",
        "fp-rx-packet": "0",
        "fp-tx-packet": "0",
        "running": "true",
        "slave": "false",
        "disabled": disabled,
    }


def _interfaces(router: SimRouter) -> list[Item]:
    """``/interface``: ether1 plus every bridge and VETH, in that order."""
    rows: list[Item] = []
    ethers = router.state.menu("interface/ethernet").items or [{"default-name": "ether1"}]
    for ether in ethers:  # /interface shows the /interface/ethernet record itself
        row = _interface_row(ether.get("name", "ether1"), "ether", factory.ETHER1_MAC, "false")
        row.update(
            {k: ether[k] for k in ("mtu", "comment", "disabled", "default-name") if k in ether}
        )
        rows.append(row)
    for menu, kind in (("interface/bridge", "bridge"), ("interface/veth", "veth")):
        if not router.available(menu):
            continue
        for item in router.state.menu(menu).items:
            name = item.get("name", "")
            row = _interface_row(name, kind, item.get("mac-address", ""), "false")
            row.update({k: item[k] for k in ("mtu", "comment", "disabled") if k in item})
            rows.append(row)
    shown = set(readable_props(router, "interface"))
    return [
        {".id": f"*{n + 1:X}", **{k: v for k, v in row.items() if not shown or k in shown}}
        for n, row in enumerate(rows)
    ]


def _interface_record(router: SimRouter, key: str) -> tuple[str, Item] | None:
    """The record behind an ``/interface`` row (by ``*ID`` or name): ether1 lives in
    ``/interface/ethernet``, bridges and VETHs in their menus; a set on ``/interface`` lands
    there, as on RouterOS, where ``/interface`` lists every interface of every kind."""
    row = next((r for r in _interfaces(router) if key in (r.get(".id"), r.get("name"))), None)
    if row is None:
        return None
    for menu in _INTERFACE_OWNERS:
        if router.available(menu):
            for item in router.state.menu(menu).items:
                if item.get("name") == row.get("name"):
                    return menu, item
    return None


_INTERFACE_OWNERS = ("interface/ethernet", "interface/bridge", "interface/veth")


def readable_props(router: SimRouter, menu: str) -> tuple[str, ...]:
    node = router.tree.menu(tuple(menu.split("/")))
    return (*node.props, "type") if node is not None else ()


def _generic() -> list[MenuSpec]:
    return [
        MenuSpec(
            "interface",
            writable=False,
            source=_interfaces,
            records=_interface_record,
        ),
        MenuSpec("interface/veth", package="container", unique="name", defaults=_veth_defaults),
        MenuSpec("interface/bridge", unique="name", defaults=_bridge_defaults),
        MenuSpec(
            "interface/bridge/port",
            on_add=_port_check,
            defaults=lambda router: {
                "pvid": "1",
                "inactive": "false",
                "disabled": "false",
                "dynamic": "false",
            },
        ),
        MenuSpec("ip/address", defaults=_flags, on_add=_address_check),
        MenuSpec("ip/firewall/nat", defaults=_rule_defaults, on_add=_rule_check),
        MenuSpec("ip/firewall/filter", defaults=_rule_defaults, on_add=_rule_check),
    ]


def build_specs() -> dict[str, MenuSpec]:
    """Menu name -> spec, for every menu the simulator answers."""
    found: list[MenuSpec] = [
        *_generic(),
        *containers.specs(),
        *files.specs(),
        *logs.specs(),
        *packages.specs(),
        *resources.specs(),
        *app.specs(),
        *users.specs(),
    ]
    return {spec.name: spec for spec in found}
