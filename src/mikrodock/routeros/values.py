"""RouterOS values: strings on the wire, Python values at the model boundary.

RouterOS REST returns every value as a string (``"true"``, ``"1024"``, ``"1d2h3m2s"``,
``"unlimited"``). These helpers convert in both directions; nothing else in the project parses
RouterOS value syntax.
"""

from __future__ import annotations

import re

from mikrodock.errors import UsageError

__all__ = [
    "UNLIMITED",
    "format_bool",
    "format_duration",
    "parse_bool",
    "parse_duration",
    "parse_int",
    "parse_size",
]

UNLIMITED = None
"""What :func:`parse_int` and :func:`parse_size` return for ``"unlimited"``."""

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0", ""}

_DURATION_UNITS = {
    "w": 604800.0,
    "d": 86400.0,
    "h": 3600.0,
    "m": 60.0,
    "s": 1.0,
    "ms": 0.001,
    "us": 0.000001,
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(w|d|h|ms|us|m|s)")
_CLOCK = re.compile(r"^(?:(\d+)d)?\s*(\d+):(\d{2}):(\d{2})(?:\.(\d+))?$")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B?|B)?\s*$", re.IGNORECASE)
_SIZE_FACTORS = {"": 1, "B": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def parse_bool(value: str | bool | None) -> bool:
    """``"true"``/``"yes"`` -> True, ``"false"``/``"no"``/``""`` -> False."""
    if isinstance(value, bool):
        return value
    text = (value or "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"not a RouterOS boolean: {value!r}")


def format_bool(value: bool) -> str:
    """RouterOS spelling of a boolean for a request body."""
    return "yes" if value else "no"


def parse_int(value: str | int | None) -> int | None:
    """``"1024"`` -> 1024; ``"unlimited"`` (or empty) -> None."""
    if isinstance(value, int):
        return value
    text = (value or "").strip().lower()
    if text in ("", "unlimited", "none"):
        return None
    return int(text)


def parse_duration(value: str | float | None) -> float:
    """RouterOS durations in seconds: ``"1d2h3m2s"``, ``"500ms"``, ``"00:01:30"``, ``"30"``."""
    if isinstance(value, int | float):
        return float(value)
    text = (value or "").strip().lower()
    if not text or text == "none":
        return 0.0
    clock = _CLOCK.match(text)
    if clock:
        days, hours, minutes, seconds, frac = clock.groups()
        whole = int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + int(seconds)
        return whole + (float(f"0.{frac}") if frac else 0.0)
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    total = 0.0
    pos = 0
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match[1]) * _DURATION_UNITS[match[2]]
        pos = match.end()
    if pos != len(text):
        raise ValueError(f"not a RouterOS duration: {value!r}")
    return total


def format_duration(seconds: float) -> str:
    """Seconds as RouterOS writes them: ``93784`` -> ``"1d2h3m4s"``; ``0.5`` -> ``"500ms"``."""
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    whole = int(seconds)
    millis = round((seconds - whole) * 1000)
    if whole == 0 and millis:
        return f"{millis}ms"
    parts = []
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, whole = divmod(whole, size)
        if count:
            parts.append(f"{count}{unit}")
    if millis:
        parts.append(f"{millis}ms")
    return "".join(parts) or "0s"


def parse_size(value: str | int | None) -> int | None:
    """Sizes in bytes: ``"256M"``, ``"1GiB"``, ``"512k"``, ``"1024"``; ``"unlimited"`` -> None.

    Raises :class:`UsageError` (user input) for anything else.
    """
    if isinstance(value, int):
        return value
    text = (value or "").strip()
    if text.lower() in ("", "unlimited"):
        return None
    match = _SIZE.match(text)
    if not match:
        raise UsageError(
            f"not a size: {value!r}", hint="write a number with an optional unit, e.g. 256M or 1G"
        )
    number = float(match[1])
    unit = (match[2] or "").upper().replace("I", "").rstrip("B")
    return int(number * _SIZE_FACTORS[unit])
