"""Typed views of RouterOS records: the boundary where wire strings become Python values.

Each view wraps the record as RouterOS sent it (``raw``, strings only) and converts on access
with :mod:`mikrodock.routeros.values`, so nothing is lost and nothing is parsed twice by hand.
Only what ``mikrodock info`` and ``mikrodock ps`` need is modeled.

Container state differs by version: up to 7.19 a ``status`` string (``stopped``, ``running``,
``extracting``, ...), from 7.20 one flag field per state (``"running": "true"``). The image is
``repo`` in some versions and ``tag`` in others. :class:`Container` reads both dialects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mikrodock.errors import UsageError
from mikrodock.routeros.values import parse_bool, parse_duration, parse_int, parse_size
from mikrodock.routeros.version import RouterOSVersion, parse_version

__all__ = [
    "CONTAINER_STATES",
    "Container",
    "DeviceMode",
    "Identity",
    "Package",
    "Record",
    "SystemResource",
    "find_package",
]


@dataclass(frozen=True)
class Record:
    """One RouterOS record as sent (``raw``), with typed reads."""

    raw: Mapping[str, str]

    def text(self, key: str, default: str = "") -> str:
        return str(self.raw.get(key, default))

    def flag(self, key: str, default: bool = False) -> bool:
        """A yes/no/true/false field; ``default`` when absent or unreadable."""
        value = self.raw.get(key)
        if value is None:
            return default
        try:
            return parse_bool(value)
        except ValueError:
            return default

    def number(self, key: str) -> int | None:
        """An integer field; None when absent, ``unlimited`` or unreadable."""
        try:
            return parse_int(self.raw.get(key))
        except ValueError:
            return None

    def size(self, key: str) -> int | None:
        """A size in bytes (``"268435456"``, ``"256M"``, ``"256.0MiB"``); None when absent,
        ``unlimited`` or unreadable."""
        try:
            return parse_size(self.raw.get(key))
        except (UsageError, ValueError):
            return None

    @property
    def id(self) -> str:
        """The ``.id`` (``*1F``): valid until the router reboots, never worth storing."""
        return self.text(".id")


class SystemResource(Record):
    """``/system/resource``."""

    @property
    def version(self) -> RouterOSVersion:
        return parse_version(self.text("version"))

    @property
    def board_name(self) -> str:
        return self.text("board-name")

    @property
    def architecture(self) -> str:
        """``x86_64``, ``arm64``, ``arm``, ... (``architecture-name``)."""
        return self.text("architecture-name")

    @property
    def cpu_count(self) -> int | None:
        return self.number("cpu-count")

    @property
    def uptime(self) -> float:
        """Seconds since boot."""
        try:
            return parse_duration(self.text("uptime"))
        except ValueError:
            return 0.0

    @property
    def total_memory(self) -> int | None:
        return self.number("total-memory")

    @property
    def free_memory(self) -> int | None:
        return self.number("free-memory")

    @property
    def total_hdd_space(self) -> int | None:
        return self.number("total-hdd-space")

    @property
    def free_hdd_space(self) -> int | None:
        return self.number("free-hdd-space")


class Identity(Record):
    """``/system/identity``."""

    @property
    def name(self) -> str:
        return self.text("name")


class Package(Record):
    """One row of ``/system/package``."""

    @property
    def name(self) -> str:
        return self.text("name")

    @property
    def version(self) -> str:
        return self.text("version")

    @property
    def installed(self) -> bool:
        """On the router (rows with ``available=true`` are only offered for download)."""
        return not self.flag("available")

    @property
    def active(self) -> bool:
        """Installed and enabled."""
        return self.installed and not self.flag("disabled")


def find_package(rows: Iterable[Mapping[str, str]], name: str) -> Package | None:
    """The package called ``name`` among ``/system/package`` rows (installed ones first)."""
    found = [Package(row) for row in rows if row.get("name") == name]
    found.sort(key=lambda package: not package.installed)
    return found[0] if found else None


class DeviceMode(Record):
    """``/system/device-mode``: which features the owner allowed."""

    @property
    def mode(self) -> str:
        return self.text("mode")

    @property
    def container(self) -> bool:
        """Containers allowed (``container=yes``, confirmed by a power cycle)."""
        return self.flag("container")

    def allows(self, feature: str) -> bool:
        return self.flag(feature)


CONTAINER_STATES = (
    "extracting",
    "stopped",
    "starting",
    "running",
    "stopping",
    "deleting",
    "error",
    "unknown",
)
"""What :attr:`Container.state` can say."""

# 7.20+ flag fields, most specific first: a container that is both "stopped" and "extracting"
# is extracting.
_STATE_FLAGS = (  # flags overlap (an extracting record also reads stopped): first match wins
    ("deleting", "deleting"),
    ("downloading/extracting", "extracting"),  # the documented name
    ("extracting", "extracting"),
    ("downloading", "extracting"),
    ("stopping", "stopping"),
    ("starting-with-healthcheck", "starting"),
    ("starting", "starting"),
    ("running", "running"),
    ("healthy", "running"),  # a container with a health check may show healthy, not running
    ("unhealthy", "running"),
    ("stopped", "stopped"),
)


_ERROR_FIELDS = ("error", "download/extract failed", "failed", "download-failed", "extract-failed")


class Container(Record):
    """One row of ``/container``, in either state dialect."""

    @property
    def name(self) -> str:
        return self.text("name")

    @property
    def comment(self) -> str:
        return self.text("comment")

    @property
    def image(self) -> str:
        """The image the container runs (``tag`` or ``repo``, else ``remote-image``)."""
        return self.text("tag") or self.text("repo") or self.text("remote-image")

    @property
    def interface(self) -> str:
        return self.text("interface")

    @property
    def state(self) -> str:
        """One of :data:`CONTAINER_STATES` (or the ``status`` text as sent), from ``status``
        (<7.20) or the flags (7.20+)."""
        status = self.text("status").strip().lower()
        if status:
            return status
        if self.flag("download/extract failed") or self.flag("failed"):
            return "error"
        for field, state in _STATE_FLAGS:
            if self.flag(field):
                return state
        if self.error:
            return "error"
        return "unknown"

    @property
    def error(self) -> str:
        """The error text RouterOS attached to a failed download or extraction, if any."""
        for field in _ERROR_FIELDS:
            value = self.text(field)
            if value and value not in ("false", "no"):
                return value if value not in ("true", "yes") else field
        if self.text("status") == "error":
            return "error"
        return ""

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def logging(self) -> bool:
        return self.flag("logging")

    @property
    def start_on_boot(self) -> bool:
        return self.flag("start-on-boot")

    @property
    def memory_high(self) -> int | None:
        """Per-container memory limit in bytes (7.20+); None when unlimited or absent."""
        return self.size("memory-high")
