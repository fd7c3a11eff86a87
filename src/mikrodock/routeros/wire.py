"""How the REST client spells things on the wire: values, menu and item paths, the base URL.

RouterOS REST takes and gives strings only. :func:`wire_value` turns Python values into the
strings RouterOS reads (``True`` -> ``"yes"``, ``8080`` -> ``"8080"``, lists comma-joined);
conversion the other way happens in :mod:`mikrodock.routeros.models`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from mikrodock.errors import UsageError
from mikrodock.routeros.values import format_bool

__all__ = [
    "API_PORTS",
    "RestBase",
    "item_path",
    "menu_path",
    "split_api_url",
    "split_url",
    "wire_props",
    "wire_value",
]


def wire_value(value: object) -> str:
    """A Python value as RouterOS reads it: bools as yes/no, numbers as text, lists comma-joined."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return format_bool(value)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return ",".join(wire_value(item) for item in value)
    raise TypeError(f"cannot send {type(value).__name__} to RouterOS: {value!r}")


def wire_props(props: Mapping[str, object] | None) -> dict[str, str]:
    return {str(key): wire_value(value) for key, value in (props or {}).items()}


def menu_path(menu: str) -> str:
    cleaned = menu.strip().strip("/")
    if not cleaned:
        raise UsageError("empty RouterOS menu", hint='write a menu like "container/envs"')
    return cleaned


def item_path(item_id: str) -> str:
    if not item_id:
        raise UsageError("empty RouterOS item id", hint="pass an id like *1F or a name")
    return quote(item_id, safe="*")


_UNSAFE = re.compile(r"[\x00-\x20\x7f]")
_HOST = re.compile(r"[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\]")


@dataclass(frozen=True)
class RestBase:
    """Where a router's REST API is: ``scheme://host[:port]`` and the path ending ``/rest/``."""

    scheme: str
    host: str
    """as written in a URL: IPv6 in brackets, names IDNA-encoded"""
    port: int | None
    path: str

    @property
    def hostname(self) -> str:
        """The host without brackets (``::1``), as TLS and the known-hosts file name it."""
        return self.host.strip("[]")

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host}" + (f":{self.port}" if self.port is not None else "")

    @property
    def router_url(self) -> str:
        """The router's URL as the user gave it, without ``/rest`` or a trailing slash."""
        return (self.origin + self.path[: -len("rest/")]).rstrip("/")

    def url(self, path: str) -> str:
        """The URL of ``path`` below ``/rest/`` (already spelled for the wire)."""
        return self.origin + self.path + path


def split_url(url: str) -> tuple[RestBase, str, str]:
    """The REST base URL (``.../rest/``) and any user/password written in ``url``."""
    bad = UsageError(f"not a URL: {url!r}", hint="write it like https://192.168.88.1")
    if not isinstance(url, str) or _UNSAFE.search(url):
        raise bad
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname or ""
    except ValueError:
        raise bad from None
    if parts.scheme not in ("http", "https") or not host:
        raise UsageError(
            f"not a router URL: {url!r}",
            hint="write it like https://192.168.88.1 or http://127.0.0.1:8080",
        )
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise bad from None
    if ":" in host:
        host = f"[{host}]"
    if not _HOST.fullmatch(host):
        raise bad
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    path = quote(parts.path, safe="/%:@!$&'()*+,;=~").rstrip("/")
    if not path.endswith("/rest"):
        path += "/rest"
    return RestBase(parts.scheme, host, port, path + "/"), user, password


API_PORTS = {"api": 8728, "api-ssl": 8729}


def split_api_url(url: str) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` of an ``api://`` or ``api-ssl://`` URL, None for another."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in API_PORTS:
        return None
    hostport = rest.split("/", 1)[0]
    if "@" in hostport:
        raise UsageError(
            "a user or password in a router URL is refused",
            hint="pass the user with --router-user and the password with --password-stdin",
        )
    host, _, port = hostport.rpartition(":") if hostport.count(":") == 1 else (hostport, "", "")
    host = host.strip("[]")
    if not host or (port and not port.isdigit()):
        raise UsageError(f"not a router URL: {url!r}", hint="write it like api-ssl://192.168.88.1")
    return scheme, host, int(port) if port else API_PORTS[scheme]
