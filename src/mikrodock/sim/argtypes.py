"""Argument types from RouterOS's syntax text, and the checks RouterOS makes on a value.

The command tree gives each argument the syntax text ``/console/inspect`` prints
(``"1s..1d    (time interval)"``, ``"A.B.C.D    (IP address)"``, ``"0..4294967295"``,
``"a|b|c[,Name*]"``, ``"string value, max length 31"``) or, from the deep crawl, the list of
values it completes to (``enum:no|yes``). :func:`parse_type` turns that text into an
:class:`ArgType` whose :meth:`ArgType.check` gives the value as RouterOS keeps it or raises
:class:`ArgError` with RouterOS's message. Untyped arguments take any value.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import cache

__all__ = ["ArgError", "ArgType", "format_time", "parse_time", "parse_type"]

_UNITS = {"w": 604800.0, "d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_TIME_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|w|d|h|m|s)")
_CLOCK = re.compile(r"^(?:(\d+)d)?(\d+):(\d\d):(\d\d(?:\.\d+)?)$")
_MAC = re.compile(r"^[0-9A-Fa-f]{2}([:\-.]?)(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}$")
_RANGE = re.compile(r"^(-?[\w:.]*)\.\.(-?[\w:.]*)(?:\s+\((.*)\))?$")


class ArgError(ValueError):
    """A value RouterOS refuses; the message is RouterOS's text."""


def parse_time(text: str) -> float:
    """RouterOS time interval (``1d2h``, ``500ms``, ``00:00:10``, ``30``) -> seconds."""
    text = text.strip()
    if not text:
        raise ValueError("empty time")
    clock = _CLOCK.match(text)
    if clock:
        days, hours, minutes, seconds = clock.groups()
        return int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    total, position = 0.0, 0
    for match in _TIME_PART.finditer(text):
        if match.start() != position:
            raise ValueError(text)
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    if position != len(text):
        raise ValueError(text)
    return total


def format_time(seconds: float) -> str:
    """Seconds -> RouterOS's short spelling (``1d2h3m4s``, ``200ms``, ``0s``)."""
    millis = round(seconds * 1000)
    if millis == 0:
        return "0s"
    out = ""
    for unit, size in (("w", 604800000), ("d", 86400000), ("h", 3600000), ("m", 60000)):
        count, millis = divmod(millis, size)
        if count:
            out += f"{count}{unit}"
    whole, rest = divmod(millis, 1000)
    if whole:
        out += f"{whole}s"
    if rest:
        out += f"{rest}ms"
    return out


@dataclass(frozen=True)
class ArgType:
    """What values one argument takes."""

    kind: str = "any"
    """any, string, number, time, ip, ip-prefix, ipv6-prefix, ip-range, mac, enum, hex."""
    low: str = ""
    high: str = ""
    choices: tuple[str, ...] = ()
    multi: bool = False
    """A comma-separated list of choices (``a|b[,Name*]``)."""
    min_length: int = 0
    max_length: int | None = None

    def check(self, name: str, value: str) -> str:
        """The value as RouterOS keeps it; :class:`ArgError` when RouterOS refuses it."""
        check = getattr(self, f"_check_{self.kind.replace('-', '_')}", None)
        return check(name, value) if check is not None else value

    def sample(self) -> str:
        """A value this type accepts (used where an argument must be given)."""
        samples = {
            "number": self.low or "0",
            "time": self.low or "1s",
            "ip": "192.0.2.1",
            "ip-prefix": "192.0.2.0/24",
            "ipv6-prefix": "2001:db8::/64",
            "ip-range": "192.0.2.1-192.0.2.9",
            "mac": "02:00:00:00:00:01",
            "hex": "0a",
        }
        if self.kind == "enum":
            return self.choices[0] if self.choices else ""
        if self.kind == "string":
            return "x" * max(1, self.min_length)
        return samples.get(self.kind, "x")

    def _check_enum(self, name: str, value: str) -> str:
        words = [w.strip() for w in value.split(",")] if self.multi else [value.strip()]
        if set(self.choices) == {"yes", "no"}:
            lowered = value.strip().lower()
            if lowered in ("yes", "true", "on"):
                return "true"
            if lowered in ("no", "false", "off"):
                return "false"
        for word in words:
            if word not in self.choices and not (self.multi and word == ""):
                raise ArgError(f"input does not match any value of {name}")
        return ",".join(words)

    def _check_number(self, name: str, value: str) -> str:
        text = value.strip()
        try:
            number = int(text, 16) if text.lower().startswith("0x") else int(text)
        except ValueError:
            raise ArgError(f"invalid value for argument {name}") from None
        low = int(self.low) if self.low.lstrip("-").isdigit() else None
        high = int(self.high) if self.high.lstrip("-").isdigit() else None
        if (low is not None and number < low) or (high is not None and number > high):
            raise ArgError(f"value of {name} out of range ({self.low}..{self.high})")
        return str(number)

    def _check_time(self, name: str, value: str) -> str:
        try:
            seconds = parse_time(value)
        except ValueError:
            raise ArgError(f"invalid value for argument {name}") from None
        low = _time_or_none(self.low)
        high = _time_or_none(self.high)
        if (low is not None and seconds < low) or (high is not None and seconds > high):
            bounds = f"{_clock(low or 0.0)} .. {_clock(high) if high is not None else ''}"
            raise ArgError(f"value of {name} is out of range ({bounds})")
        return format_time(seconds)

    def _check_ip(self, name: str, value: str) -> str:
        # The syntax text shows A.B.C.D, yet /ip/address takes A.B.C.D/M too: keep the prefix.
        try:
            text = value.strip()
            return str(
                ipaddress.IPv4Interface(text) if "/" in text else ipaddress.IPv4Address(text)
            )
        except ValueError:
            raise ArgError(f"invalid value for argument {name}") from None

    def _check_ip_prefix(self, name: str, value: str) -> str:
        try:
            return str(ipaddress.IPv4Network(value.strip(), strict=False))
        except ValueError:
            raise ArgError(f"invalid value for argument {name}") from None

    def _check_ipv6_prefix(self, name: str, value: str) -> str:
        try:
            return str(ipaddress.IPv6Network(value.strip(), strict=False))
        except ValueError:
            raise ArgError(f"invalid value for argument {name}") from None

    def _check_mac(self, name: str, value: str) -> str:
        text = value.strip()
        if not _MAC.match(text):
            raise ArgError(f"invalid value for argument {name}")
        digits = re.sub(r"[^0-9A-Fa-f]", "", text).upper()
        return ":".join(digits[i : i + 2] for i in range(0, 12, 2))

    def _check_string(self, name: str, value: str) -> str:
        if len(value) < self.min_length:
            raise ArgError(f"value of {name} is too short (min length {self.min_length})")
        if self.max_length is not None and len(value) > self.max_length:
            raise ArgError(f"value of {name} is too long (max length {self.max_length})")
        return value

    def _check_hex(self, name: str, value: str) -> str:
        if not re.fullmatch(r"[0-9A-Fa-f]*", value.strip()):
            raise ArgError(f"invalid value for argument {name}")
        return value.strip()


def _clock(seconds: float) -> str:
    """Seconds as RouterOS prints a range bound: ``00:00:10``, ``1d00:00:00``."""
    days, rest = divmod(round(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{f'{days}d' if days else ''}{hours:02}:{minutes:02}:{secs:02}"


def _time_or_none(text: str) -> float | None:
    try:
        return parse_time(text) if text else None
    except ValueError:
        return None


_ANY = ArgType()


@cache
def parse_type(text: str | None) -> ArgType:
    """The :class:`ArgType` of a syntax text (None or unknown text: any value)."""
    if not text:
        return _ANY
    text = text.strip()
    if text.startswith("enum:"):
        return ArgType("enum", choices=tuple(text[5:].split("|")))
    if text.startswith("string value"):
        low = re.search(r"min length (\d+)", text)
        high = re.search(r"max length (\d+)", text)
        return ArgType(
            "string",
            min_length=int(low.group(1)) if low else 0,
            max_length=int(high.group(1)) if high else None,
        )
    if text == "hexadecimal string value":
        return ArgType("hex")
    suffix = re.search(r"\(([^()]*)\)\s*$", text)
    label = suffix.group(1) if suffix else ""
    head = text[: suffix.start()].strip() if suffix else text
    if label == "time interval" or text == "time interval":
        match = _RANGE.match(head)
        if match is None:
            return ArgType("time")
        return ArgType("time", match.group(1), match.group(2))
    kinds = {
        "IP address": "ip",
        "IP prefix": "ip-prefix",
        "IPv6 prefix": "ipv6-prefix",
        "IP address range": "ip-range",
        "MAC address": "mac",
    }
    if label in kinds:
        return ArgType(kinds[label])
    number = re.fullmatch(r"(-?\d+)\.\.(-?\d+)", head)
    if number and label in ("", "integer number"):
        return ArgType("number", number.group(1), number.group(2))
    choice = re.fullmatch(r"([\w.+\-]+(?:\|[\w.+\-]+)+)(\[,\w+\*\])?", head)
    if choice:
        return ArgType(
            "enum", choices=tuple(choice.group(1).split("|")), multi=bool(choice.group(2))
        )
    return _ANY
