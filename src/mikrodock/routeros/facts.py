"""What a router is: version, board, architecture, memory, disks, container readiness.

``read_facts`` asks the router (a few reads, made concurrently) and returns a :class:`RouterFacts`
with values already converted from RouterOS strings. ``mikrodock info`` prints it and the
container planner starts from it.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from mikrodock.errors import NotFoundError, RouterError
from mikrodock.routeros.values import parse_bool, parse_duration, parse_int
from mikrodock.routeros.version import RouterOSVersion, parse_version

if TYPE_CHECKING:
    from mikrodock.routeros.client import AsyncRouterClient

__all__ = ["ARCH_PLATFORMS", "Disk", "RouterFacts", "read_facts"]

ARCH_PLATFORMS = {
    "x86_64": "linux/amd64",
    "x86": "linux/amd64",
    "arm64": "linux/arm64",
    "arm": "linux/arm/v7",
}
"""RouterOS ``architecture-name`` -> the container image platform it runs."""


@dataclass(frozen=True)
class Disk:
    name: str
    size: int | None
    free: int | None
    kind: str = ""


@dataclass(frozen=True)
class RouterFacts:
    identity: str
    version: RouterOSVersion
    board: str
    architecture: str
    cpu_count: int | None
    total_memory: int | None
    free_memory: int | None
    total_hdd: int | None
    free_hdd: int | None
    uptime_seconds: float
    container_package: bool
    device_mode_container: bool | None
    packages: tuple[str, ...] = ()
    disks: tuple[Disk, ...] = field(default=())

    @property
    def platform(self) -> str | None:
        """The container image platform this router runs, or None (e.g. MIPS)."""
        return ARCH_PLATFORMS.get(self.architecture)

    @property
    def containers_ready(self) -> bool:
        return self.container_package and bool(self.device_mode_container)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["version"] = str(self.version)
        data["platform"] = self.platform
        data["containers_ready"] = self.containers_ready
        return data


async def _optional(coro: Any) -> Any:
    """A read that may not exist on every router: None for 404 / 'no such command'."""
    try:
        return await coro
    except NotFoundError:
        return None
    except RouterError as error:
        if error.status == 400 and "no such command" in error.detail:
            return None
        raise


async def read_facts(ros: AsyncRouterClient) -> RouterFacts:
    """Read the facts of one router (four to five concurrent GETs)."""
    resource, identity, packages, device_mode, disks = await asyncio.gather(
        ros.get("system/resource"),
        _optional(ros.get("system/identity")),
        _optional(ros.print("system/package")),
        _optional(ros.get("system/device-mode")),
        _optional(ros.print("disk")),
    )
    names = tuple(sorted(p.get("name", "") for p in (packages or []) if not _disabled(p)))
    return RouterFacts(
        identity=(identity or {}).get("name", ""),
        version=parse_version(resource.get("version", "0.0")),
        board=resource.get("board-name", ""),
        architecture=resource.get("architecture-name", ""),
        cpu_count=parse_int(resource.get("cpu-count")),
        total_memory=parse_int(resource.get("total-memory")),
        free_memory=parse_int(resource.get("free-memory")),
        total_hdd=parse_int(resource.get("total-hdd-space")),
        free_hdd=parse_int(resource.get("free-hdd-space")),
        uptime_seconds=parse_duration(resource.get("uptime", "0s")),
        container_package="container" in names,
        device_mode_container=(
            parse_bool(device_mode.get("container", "no")) if device_mode is not None else None
        ),
        packages=names,
        disks=tuple(_disk(d) for d in (disks or [])),
    )


def _disabled(record: dict[str, str]) -> bool:
    try:
        return parse_bool(record.get("disabled", "false"))
    except ValueError:
        return False


def _disk(record: dict[str, str]) -> Disk:
    return Disk(
        name=record.get("slot") or record.get("name", ""),
        size=parse_int(record.get("size")),
        free=parse_int(record.get("free")),
        kind=record.get("type", ""),
    )
