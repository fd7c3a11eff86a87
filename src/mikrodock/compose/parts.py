"""Parsers for the small languages inside a compose file: ports, volumes, durations, sizes.

Each raises :class:`SpecError` (no line: the loader adds it) with a hint that shows the right form.
"""

from __future__ import annotations

import re
from typing import Literal, cast

from mikrodock.compose.model import ComposePort, ComposeVolume

__all__ = ["SpecError", "parse_duration", "parse_port", "parse_size", "parse_volume"]

PORT_FORMS = "[IP:][HOST:]CONTAINER[/tcp|udp], ranges as START-END"
VOLUME_FORMS = "NAME:/path, ./dir:/path, /host/dir:/path, or /path, each optionally :ro"


class SpecError(ValueError):
    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


def _port_span(text: str, what: str, original: str) -> tuple[int, int]:
    match = re.fullmatch(r"([0-9]{1,5})(?:-([0-9]{1,5}))?", text)  # ASCII: not "８０"
    if not match:
        raise SpecError(
            f"bad port {original!r}: {what} {text!r} is not a number", hint=f"use {PORT_FORMS}"
        )
    start = int(match.group(1))
    end = int(match.group(2) or start)
    for number in (start, end):
        if not 1 <= number <= 65535:
            raise SpecError(
                f"bad port {original!r}: {number} is out of range 1-65535", hint=f"use {PORT_FORMS}"
            )
    if end < start:
        raise SpecError(
            f"bad port {original!r}: range {text} runs backwards", hint="write ranges as LOW-HIGH"
        )
    return start, end - start + 1


def _protocol(text: str, original: str) -> Literal["tcp", "udp"]:
    protocol = text.lower()
    if protocol not in ("tcp", "udp"):
        raise SpecError(
            f"bad port {original!r}: protocol {text!r}", hint="RouterOS redirects tcp and udp only"
        )
    return cast(Literal["tcp", "udp"], protocol)


def parse_port(text: str, *, line: int = 0) -> ComposePort:
    """Read the short syntax ``[IP:][HOST:]CONTAINER[/PROTO]``."""
    original = text
    body = text.strip()
    protocol: Literal["tcp", "udp"] = "tcp"
    if "/" in body:
        body, proto_text = body.rsplit("/", 1)
        protocol = _protocol(proto_text, original)
    host_ip: str | None = None
    if body.startswith("["):
        end = body.find("]")
        if end < 0 or body[end + 1 : end + 2] != ":":
            raise SpecError(
                f"bad port {original!r}: unclosed IPv6 address",
                hint="write [ADDRESS]:HOST:CONTAINER",
            )
        host_ip, body = body[1:end], body[end + 2 :]
        parts = body.split(":")
        if len(parts) == 1:
            parts = ["", *parts]
    else:
        parts = body.split(":")
        if len(parts) == 3:
            host_ip = parts.pop(0)
            if not host_ip:
                raise SpecError(f"bad port {original!r}: empty address", hint=f"use {PORT_FORMS}")
    if len(parts) > 2 or not parts[-1]:
        raise SpecError(f"bad port {original!r}", hint=f"use {PORT_FORMS}")
    target, count = _port_span(parts[-1], "container port", original)
    published: int | None = None
    if len(parts) == 2 and parts[0]:
        published, host_count = _port_span(parts[0], "host port", original)
        if host_count != count:
            raise SpecError(
                f"bad port {original!r}: ranges of different lengths",
                hint="give the host and the container ranges the same length",
            )
    return ComposePort(
        target=target,
        published=published,
        protocol=protocol,
        host_ip=host_ip,
        count=count,
        line=line,
    )


def parse_volume(text: str, *, line: int = 0) -> ComposeVolume:
    """Read the short syntax ``[SOURCE:]TARGET[:MODE]``."""
    parts = text.split(":")
    if not text or len(parts) > 3 or not all(parts):
        raise SpecError(f"bad volume {text!r}", hint=f"use {VOLUME_FORMS}")
    read_only = False
    known = {"ro", "rw", "z", "Z", "nocopy", "cached", "delegated", "consistent"}
    last = parts[-1].split(",")
    if len(parts) == 3 or (len(parts) == 2 and parts[0].startswith("/") and set(last) <= known):
        for option in last:
            if option not in known:
                raise SpecError(
                    f"bad volume {text!r}: unknown option {option!r}", hint="use :ro or :rw"
                )
        parts.pop()
        read_only = "ro" in last
    target = parts[-1]
    if not target.startswith("/"):
        raise SpecError(
            f"bad volume {text!r}: the target {target!r} is not an absolute path",
            hint=f"use {VOLUME_FORMS}",
        )
    if len(parts) == 1:
        return ComposeVolume(type="volume", target=target, read_only=read_only, line=line)
    source = parts[0]
    kind: Literal["volume", "bind"] = "bind" if source[0] in "/.~" else "volume"
    if kind == "volume" and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", source):
        raise SpecError(
            f"bad volume {text!r}: {source!r} is neither a name nor a path",
            hint="start host paths with /, ./ or ~/",
        )
    return ComposeVolume(type=kind, source=source, target=target, read_only=read_only, line=line)


_DURATION_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float:
    """Compose durations (``1m30s``, ``500ms``, ``10s``; a bare number is seconds) in seconds."""
    body = text.strip()
    if re.fullmatch(r"[0-9]{1,12}(?:\.[0-9]{1,9})?", body):
        return float(body)
    parts = re.findall(r"([0-9]{1,12}(?:\.[0-9]{1,9})?)(us|ms|s|m|h|d)", body)
    if not parts or "".join(number + unit for number, unit in parts) != body:
        raise SpecError(f"bad duration {text!r}", hint="write durations like 30s, 1m30s or 500ms")
    return sum(float(number) * _DURATION_UNITS[unit] for number, unit in parts)


_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "k": 1024,
    "kb": 1024,
    "m": 1024**2,
    "mb": 1024**2,
    "g": 1024**3,
    "gb": 1024**3,
}


def parse_size(text: str) -> int:
    """Compose byte sizes (``256m``, ``1gb``, ``1048576``) in bytes."""
    match = re.fullmatch(r"([0-9]{1,15}(?:\.[0-9]{1,9})?)\s*([a-zA-Z]*)", text.strip())
    if not match or match.group(2).lower() not in _SIZE_UNITS:
        raise SpecError(f"bad size {text!r}", hint="write sizes like 64m, 1gb or 1048576")
    size = int(float(match.group(1)) * _SIZE_UNITS[match.group(2).lower()])
    if size >= 1 << 64:
        raise SpecError(f"bad size {text!r}: larger than a router can hold", hint="write e.g. 1gb")
    return size
