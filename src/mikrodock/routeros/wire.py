"""How the REST client spells things on the wire: values, menu and item paths, the base URL.

RouterOS REST takes and gives strings only. :func:`wire_value` turns Python values into the
strings RouterOS reads (``True`` -> ``"yes"``, ``8080`` -> ``"8080"``, lists comma-joined);
conversion the other way happens in :mod:`mikrodock.routeros.models`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote

import httpx

from mikrodock.errors import UsageError
from mikrodock.routeros.values import format_bool

__all__ = [
    "API_PORTS",
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


def split_url(url: str) -> tuple[httpx.URL, str, str]:
    """The REST base URL (``.../rest/``) and any user/password written in ``url``."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise UsageError(f"not a URL: {url!r}", hint="write it like https://192.168.88.1") from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise UsageError(
            f"not a router URL: {url!r}",
            hint="write it like https://192.168.88.1 or http://127.0.0.1:8080",
        )
    user, password = parsed.username, parsed.password or ""
    path = parsed.path.rstrip("/")
    if not path.endswith("/rest"):
        path += "/rest"
    base = parsed.copy_with(username=None, password=None, path=path + "/", query=None)
    return base, user, password


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
