"""What the planner needs to know about a router, read in one go (concurrently).

:class:`RouterState` is plain data, so plans can be made without a router (``--router-version``)
from :meth:`RouterState.empty`, and tests can build one by hand.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from mikrodock.errors import NotFoundError, RouterError, UnsupportedError
from mikrodock.routeros.facts import Disk
from mikrodock.routeros.values import parse_bool, parse_int
from mikrodock.routeros.version import RouterOSVersion, parse_version

if TYPE_CHECKING:
    from mikrodock.routeros.client import AsyncRouterOS

__all__ = ["MENUS", "Record", "RouterState", "no_container_package", "read_state"]

Record = Mapping[str, str]

READ_LANES = 4
"""At most this many reads of the state are in flight at once (one router is one small CPU)."""

MENUS = {
    "addresses": "ip/address",
    "bridges": "interface/bridge",
    "bridge_ports": "interface/bridge/port",
    "veths": "interface/veth",
    "containers": "container",
    "envs": "container/envs",
    "mounts": "container/mounts",
    "nat": "ip/firewall/nat",
    "filter": "ip/firewall/filter",
    "logging": "system/logging",
}
"""Field of :class:`RouterState` -> the menu it is read from."""


@dataclass(frozen=True)
class RouterState:
    """The router's version, architecture, disks and the objects a plan must not clash with."""

    version: RouterOSVersion
    architecture: str
    disks: tuple[Disk, ...] = ()
    config: Record = field(default_factory=dict)
    addresses: Sequence[Record] = ()
    bridges: Sequence[Record] = ()
    bridge_ports: Sequence[Record] = ()
    veths: Sequence[Record] = ()
    containers: Sequence[Record] = ()
    envs: Sequence[Record] = ()
    mounts: Sequence[Record] = ()
    nat: Sequence[Record] = ()
    filter: Sequence[Record] = ()
    logging: Sequence[Record] = ()
    containers_allowed: bool | None = None
    """device-mode ``container``: False when the router refuses containers, None if unknown."""

    @classmethod
    def empty(cls, version: RouterOSVersion | str, architecture: str) -> RouterState:
        """A router with nothing on it (for planning without contacting one)."""
        if isinstance(version, str):
            version = parse_version(version)
        return cls(version=version, architecture=architecture)

    def with_objects(self, **objects: Any) -> RouterState:
        return replace(self, **objects)

    def names(self, records: Sequence[Record], key: str = "name") -> set[str]:
        return {record.get(key, "") for record in records}


async def _print(
    ros: AsyncRouterOS, menu: str, lanes: asyncio.Semaphore | None = None
) -> list[dict[str, str]]:
    try:
        if lanes is None:
            return await ros.print(menu)
        async with lanes:
            return await ros.print(menu)
    except NotFoundError:
        return []
    except RouterError as error:
        if error.status == 400 and "no such command" in error.detail:
            return []
        raise


def no_container_package() -> UnsupportedError:
    """The error for a router whose REST API has no ``/container`` menu."""
    return UnsupportedError(
        "this router has no /container menu: the container package is not installed",
        hint="install the container package for the router's RouterOS version and reboot "
        "; `mikrodock info` shows packages and device-mode",
    )


async def read_state(ros: AsyncRouterOS) -> RouterState:
    """Read version, architecture, disks and every menu a plan looks at, all concurrently."""
    menus = list(MENUS.items())
    lanes = asyncio.Semaphore(READ_LANES)
    resource_task = asyncio.ensure_future(ros.get("system/resource"))
    config_task = asyncio.ensure_future(ros.get("container/config"))
    disks_task = asyncio.ensure_future(_print(ros, "disk"))
    mode_task = asyncio.ensure_future(_device_mode(ros))
    records: list[list[dict[str, str]]] = await asyncio.gather(
        *(_print(ros, menu, lanes) for _, menu in menus)
    )
    resource: dict[str, str] = await resource_task
    try:
        config: dict[str, str] = await config_task
    except NotFoundError:
        raise no_container_package() from None
    disks = await disks_task
    containers_allowed = await mode_task
    objects = {name: tuple(result) for (name, _), result in zip(menus, records, strict=True)}
    return RouterState(
        version=parse_version(resource.get("version", "0.0")),
        architecture=resource.get("architecture-name", ""),
        disks=tuple(_disk(record) for record in disks),
        config=config,
        containers_allowed=containers_allowed,
        **objects,  # type: ignore[arg-type]
    )


async def _device_mode(ros: AsyncRouterOS) -> bool | None:
    """Whether device-mode lets containers run (None where the router has no device-mode)."""
    try:
        mode = await ros.get("system/device-mode")
    except NotFoundError:
        return None
    value = mode.get("container")
    return None if value is None else parse_bool(value)


def _disk(record: Mapping[str, str]) -> Disk:
    return Disk(
        name=record.get("slot") or record.get("name", ""),
        size=parse_int(record.get("size")),
        free=parse_int(record.get("free")),
        kind=record.get("type", ""),
    )
