"""What a fresh CHR holds in menus the simulator knows only from the command tree.

Values are those of a CHR after first boot (x86_64 and arm64 alike), from MikroTik's manual
pages for each menu and public captures (see docs/SIM.md); each record keeps only the
properties the simulated version's tree can show, so an older version does not grow fields it
lacks. ``/system/clock`` is computed from the host clock on each read (see :func:`clock`).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from mikrodock.sim.state import Item

if TYPE_CHECKING:
    from mikrodock.sim.router import SimRouter

__all__ = ["ETHER1_MAC", "clock", "seed"]

ETHER1_MAC = "0C:00:00:00:00:01"

_SERVICES = (  # name, port; www-ssl is *6 as in a 7.19.4 capture; api-ssl/www-ssl disabled
    ("ftp", "21"),
    ("ssh", "22"),
    ("telnet", "23"),
    ("winbox", "8291"),
    ("www", "80"),
    ("www-ssl", "443"),
    ("api", "8728"),
    ("api-ssl", "8729"),
)


def _services() -> list[Item]:
    rows: list[Item] = []
    for name, port in _SERVICES:
        row: Item = {
            "name": name,
            "port": port,
            "address": "",
            "disabled": "true" if name == "www-ssl" else "false",
            "dynamic": "false",
            "invalid": "false",
            "max-sessions": "20",
            "proto": "tcp",
            "vrf": "main",
        }
        if name in ("www-ssl", "api-ssl"):
            row.update({"certificate": "none", "tls-version": "any"})
        rows.append(row)
    return rows


_DNS: Item = {
    "servers": "",
    "dynamic-servers": "",
    "use-doh-server": "",
    "verify-doh-cert": "false",
    "doh-max-server-connections": "5",
    "doh-max-concurrent-queries": "50",
    "doh-timeout": "5s",
    "allow-remote-requests": "false",
    "max-udp-packet-size": "4096",
    "query-server-timeout": "2s",
    "query-total-timeout": "10s",
    "max-concurrent-queries": "100",
    "max-concurrent-tcp-sessions": "20",
    "cache-size": "2048KiB",
    "cache-max-ttl": "1w",
    "address-list-extra-time": "0s",
    "vrf": "main",
    "mdns-repeat-ifaces": "",
    "cache-used": "28KiB",
}

_GROUPS = (
    (
        "read",
        "local,telnet,ssh,reboot,read,test,winbox,password,web,sniff,sensitive,api,romon,rest-api,"
        "!ftp,!write,!policy",
    ),
    (
        "write",
        "local,telnet,ssh,reboot,read,write,test,winbox,password,web,sniff,sensitive,api,romon,"
        "rest-api,!ftp,!policy",
    ),
    (
        "full",
        "local,telnet,ssh,ftp,reboot,read,write,policy,test,winbox,password,web,sniff,sensitive,"
        "api,romon,rest-api",
    ),
)


def _ethernet() -> list[Item]:
    return [
        {
            "name": "ether1",
            "default-name": "ether1",
            "mtu": "1500",
            "l2mtu": "65535",
            "mac-address": ETHER1_MAC,
            "orig-mac-address": ETHER1_MAC,
            "arp": "enabled",
            "arp-timeout": "auto",
            "loop-protect": "default",
            "loop-protect-status": "off",
            "loop-protect-send-interval": "5s",
            "loop-protect-disable-time": "5m",
            "disable-running-check": "true",
            "auto-negotiation": "true",
            "running": "true",
            "slave": "false",
            "disabled": "false",
            "rx-byte": "0",
            "tx-byte": "0",
            "rx-packet": "0",
            "tx-packet": "0",
        }
    ]


def clock(router: SimRouter) -> Item:
    """``/system/clock`` now: UTC, ISO date as RouterOS prints it since 7.10."""
    now = time.gmtime(router.now())
    return {
        "time": time.strftime("%H:%M:%S", now),
        "date": time.strftime("%Y-%m-%d", now),
        "time-zone-autodetect": "true",
        "time-zone-name": "manual",
        "gmt-offset": "+00:00",
        "dst-active": "false",
    }


def seed() -> dict[str, list[Item] | Item]:
    """Menu -> its factory items (a list) or its record (a singleton)."""
    return {
        "ip/service": _services(),
        "ip/dns": dict(_DNS),
        "user/group": [
            {"name": name, "policy": policy, "skin": "default", "comment": ""}
            for name, policy in _GROUPS
        ],
        "interface/ethernet": _ethernet(),
        "ip/dhcp-client": [
            {
                "interface": "ether1",
                "add-default-route": "yes",
                "default-route-distance": "1",
                "use-peer-dns": "true",
                "use-peer-ntp": "true",
                "dhcp-options": "hostname,clientid",
                "status": "bound",
                "disabled": "false",
                "dynamic": "false",
                "invalid": "false",
            }
        ],
        "system/note": {"note": "", "show-at-login": "true", "show-at-cli-login": "false"},
        "snmp": {"enabled": "false", "contact": "", "location": "", "engine-id": ""},
        "system/ntp/client": {"enabled": "false", "mode": "unicast", "servers": ""},
        "ip/settings": {"ip-forward": "true", "rp-filter": "no", "tcp-syncookies": "false"},
    }
