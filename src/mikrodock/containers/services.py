"""The router's own services (``/ip/service``) and the ``-p`` that would take them away.

A ``-p`` without an address becomes a dst-nat rule with ``dst-address-type=local``: every
connection to that port on any of the router's addresses goes to the container. For a port
RouterOS itself serves (WebFig and REST on ``www``, WinBox, SSH, the API, ...) that locks the
owner out of their router, mikrodock included. Such a ``-p`` is refused before anything
changes, unless the user forces it or publishes on one address (``-p ADDRESS:80:80``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from mikrodock.containers.spec import PortMapping
from mikrodock.errors import UsageError
from mikrodock.routeros.values import parse_bool

__all__ = ["FORCE_FLAG", "Service", "check_service_ports", "router_services"]

FORCE_FLAG = "--force-service-port"
"""The flag that publishes a port even where the router serves one of its own services."""

_WHAT = {
    "www": "WebFig and the REST API",
    "www-ssl": "WebFig and the REST API over HTTPS",
    "winbox": "WinBox",
    "ssh": "SSH",
    "api": "the RouterOS API",
    "api-ssl": "the RouterOS API over TLS",
    "telnet": "telnet",
    "ftp": "FTP",
}


@dataclass(frozen=True)
class Service:
    """One service RouterOS serves on TCP ``port`` of every address."""

    name: str
    port: int

    def __str__(self) -> str:
        what = _WHAT.get(self.name)
        return f"{self.name} ({what})" if what else self.name


def _true(value: str | None) -> bool:
    try:
        return parse_bool(value)
    except ValueError:
        return False


def router_services(records: Sequence[Mapping[str, str]]) -> list[Service]:
    """The enabled services of an ``/ip/service`` print (its connection rows left out)."""
    found = []
    for record in records:
        if _true(record.get("disabled")) or _true(record.get("dynamic")):
            continue
        if record.get("proto", "tcp") != "tcp":
            continue
        port = record.get("port", "")
        if record.get("name") and port.isdigit():
            found.append(Service(record["name"], int(port)))
    return found


def check_service_ports(ports: Iterable[PortMapping], services: Sequence[Service]) -> None:
    """Refuse a ``-p`` on every address (no ``ADDRESS:``) whose TCP host ports include a port
    the router serves itself; the error names the services and the ways out."""
    for port in ports:
        if port.protocol != "tcp" or port.host_ip is not None:
            continue
        high = port.host_port + port.count - 1
        hit = sorted(
            (s for s in services if port.host_port <= s.port <= high), key=lambda s: s.port
        )
        if not hit:
            continue
        numbers = ", ".join(str(s.port) for s in hit[:4]) + (", ..." if len(hit) > 4 else "")
        shown = ", ".join(str(s) for s in hit[:4]) + (", ..." if len(hit) > 4 else "")
        taken = f"host port {numbers}" if len(hit) == 1 else f"host ports {numbers}"
        if port.count == 1:
            other = 8000 + port.host_port if port.host_port < 1000 else port.host_port + 1
            instead = f"publish on another host port (e.g. -p {other}:{port.container_port})"
        else:
            instead = "publish a host port range that leaves them out"
        raise UsageError(
            f"-p {port} would take {taken} on every address away from the router's own {shown}",
            hint=f"{instead}, on one address (-p ADDRESS:{port.host_ports}:"
            f"{port.container_ports}), or give {FORCE_FLAG} to take it anyway",
        )
