"""Every menu the simulator knows, collected from the modules that give them behaviour.

Plain menus (interfaces, addresses, firewall) are storage with RouterOS's default fields and
a few checks (a bridge port needs an existing bridge, names are unique). Whether a menu exists
on the simulated version, and which arguments its commands take, is the dialect's answer
(:meth:`mikrodock.sim.router.SimRouter.available`); menus the dialect does not model carry
their own ``builtin_args``.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from mikrodock.sim import app, containers, files, logs, packages, resources, users
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


def _interfaces(router: SimRouter) -> list[Item]:
    """``/interface``: ether1 plus every bridge and VETH, in that order."""
    rows: list[Item] = [
        {"name": "ether1", "type": "ether", "mtu": "1500", "running": "true", "disabled": "false"}
    ]
    for menu, kind in (("interface/bridge", "bridge"), ("interface/veth", "veth")):
        if not router.available(menu):
            continue
        for item in router.state.menu(menu).items:
            rows.append(
                {
                    "name": item.get("name", ""),
                    "type": kind,
                    "mtu": "1500",
                    "running": "true",
                    "disabled": item.get("disabled", "false"),
                }
            )
    return [{".id": f"*{n + 1:X}", **row} for n, row in enumerate(rows)]


_SERVICES = (
    ("telnet", "23", "false"),
    ("ftp", "21", "false"),
    ("www", "80", "false"),
    ("ssh", "22", "false"),
    ("www-ssl", "443", "true"),
    ("api", "8728", "false"),
    ("winbox", "8291", "false"),
    ("api-ssl", "8729", "false"),
)
"""``/ip/service`` of a fresh router: name, port, disabled (www-ssl needs a certificate)."""


def _services(router: SimRouter) -> list[Item]:
    return [
        {
            "name": name,
            "port": port,
            "address": "",
            "vrf": "main",
            "max-sessions": "20",
            "disabled": disabled,
            "invalid": "false",
            "dynamic": "false",
        }
        for name, port, disabled in _SERVICES
    ]


def _generic() -> list[MenuSpec]:
    return [
        MenuSpec(
            "interface",
            writable=False,
            source=_interfaces,
            builtin_args={"print": frozenset({"proplist", "where", "detail"})},
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
        MenuSpec(
            "ip/service",
            seed=_services,
            builtin_args={
                "print": frozenset({"proplist", "where", "detail"}),
                "set": frozenset({"numbers", "port", "disabled", "address", "max-sessions"}),
                "enable": frozenset({"numbers"}),
                "disable": frozenset({"numbers"}),
            },
        ),
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
