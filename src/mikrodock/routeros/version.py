"""RouterOS version numbers: parse and order them.

Accepted forms: ``7.21.3``, ``7.22``, ``7.22 (stable)``, ``7.20.8 (long-term)``, ``7.23beta2``,
``7.23rc1``, and what ``/system/resource`` reports (``7.22.1 (stable) Jan/01/2026 10:00:00`` is
not what it reports, but the trailing build date some outputs carry is tolerated).

Order: ``7.23beta1 < 7.23beta2 < 7.23rc1 < 7.23 < 7.23.1``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import total_ordering

from mikrodock.errors import UsageError

__all__ = ["CHANNELS", "RouterOSVersion", "parse_version"]

CHANNELS = ("stable", "long-term", "testing", "development")

_PRE_RANK = {"alpha": 0, "beta": 1, "rc": 2}
_FINAL_RANK = 3

_PATTERN = re.compile(
    r"""^\s*v?(?P<major>\d+)\.(?P<minor>\d+)(?:\.(?P<patch>\d+))?
        (?:(?P<pre>alpha|beta|rc)(?P<prenum>\d+))?
        (?:\s*\((?P<channel>[a-z-]+)\))?
        (?:\s+.*)?\s*$""",
    re.VERBOSE | re.IGNORECASE,
)


@total_ordering
@dataclass(frozen=True)
class RouterOSVersion:
    """One RouterOS version; compares in release order."""

    major: int
    minor: int
    patch: int = 0
    pre: str = ""
    pre_number: int = 0
    channel: str = field(default="", compare=False)

    @property
    def is_prerelease(self) -> bool:
        return bool(self.pre)

    def _key(self) -> tuple[int, int, int, int, int]:
        rank = _PRE_RANK[self.pre] if self.pre else _FINAL_RANK
        return (self.major, self.minor, self.patch, rank, self.pre_number)

    def __lt__(self, other: object) -> bool:
        if isinstance(other, str):
            other = parse_version(other)
        if not isinstance(other, RouterOSVersion):
            return NotImplemented
        return self._key() < other._key()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = parse_version(other)
        if not isinstance(other, RouterOSVersion):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}"
        if self.patch:
            text += f".{self.patch}"
        if self.pre:
            text += f"{self.pre}{self.pre_number}"
        return text

    @property
    def series(self) -> tuple[int, int]:
        """``(7, 21)`` for 7.21.3: the feature release the version belongs to."""
        return (self.major, self.minor)


def parse_version(text: str) -> RouterOSVersion:
    """Parse a RouterOS version string; raise :class:`UsageError` when it is not one."""
    match = _PATTERN.match(text or "")
    if not match:
        raise UsageError(
            f"not a RouterOS version: {text!r}",
            hint="write it like 7.21.3, 7.22, 7.23rc1 or 7.20.8 (long-term)",
        )
    pre = (match["pre"] or "").lower()
    return RouterOSVersion(
        major=int(match["major"]),
        minor=int(match["minor"]),
        patch=int(match["patch"] or 0),
        pre=pre,
        pre_number=int(match["prenum"] or 0),
        channel=(match["channel"] or "").lower(),
    )
