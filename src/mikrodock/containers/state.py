"""What the planner needs to know about a router, read in one go (concurrently).

:class:`RouterState` is plain data, so plans can be made without a router (``--router-version``)
from :meth:`RouterState.empty`, and tests can build one by hand.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar

from mikrodock.errors import NotFoundError, RouterError, UnsupportedError
from mikrodock.routeros.dialect import Dialect
from mikrodock.routeros.facts import Disk
from mikrodock.routeros.values import parse_bool, parse_int
from mikrodock.routeros.version import RouterOSVersion, parse_version

if TYPE_CHECKING:
    from mikrodock.routeros.client import AsyncRouterClient

__all__ = [
    "ALL",
    "MENUS",
    "Reads",
    "Record",
    "RouterState",
    "no_container_package",
    "read_state",
]

Record = Mapping[str, str]
T = TypeVar("T")

READ_LANES = 5
"""At most this many reads of the state are in flight at once, so at most this many connections
to the router: each costs both sides CPU (one router is one small CPU) and RouterOS allows 20
sessions. Five lanes read the 15 menus in three rounds."""

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
    "services": "ip/service",
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
    services: Sequence[Record] = ()
    """``/ip/service``: the ports RouterOS serves itself (a ``-p`` must not take them)."""
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


async def _print(ros: AsyncRouterClient, menu: str) -> list[dict[str, str]]:
    try:
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


@dataclass(frozen=True)
class Reads:
    """Which menus of :data:`MENUS` :func:`read_state` reads (default: all of them).

    ``skip``: fields not read at all (left empty; besides the fields of :data:`MENUS` also
    ``disks`` and ``containers_allowed``). ``when``: fields read only if their predicate holds
    for the router's dialect; they queue last, so the version is known by their turn."""

    skip: frozenset[str] = frozenset()
    when: Mapping[str, Callable[[Dialect], bool]] = field(default_factory=dict)


ALL = Reads()


async def _nothing(value: T) -> T:
    return value


async def read_state(ros: AsyncRouterClient, reads: Reads = ALL) -> RouterState:
    """Read version, architecture, disks and the menus a plan looks at, concurrently.

    Every read goes through :data:`READ_LANES` lanes (so as many connections at most), in
    order: the version first, the conditional menus of ``reads.when`` last."""
    lanes = asyncio.Semaphore(READ_LANES)

    async def read(call: Callable[..., Awaitable[T]], *args: Any) -> T:
        async with lanes:
            return await call(*args)

    async def config() -> dict[str, str]:
        try:
            return await read(ros.get, "container/config")
        except NotFoundError:
            raise no_container_package() from None

    async def read_if(name: str, needed: Callable[[Dialect], bool]) -> list[dict[str, str]]:
        version = parse_version((await resource).get("version", "0.0"))
        return await read(_print, ros, MENUS[name]) if needed(Dialect.for_version(version)) else []

    resource = asyncio.ensure_future(read(ros.get, "system/resource"))
    config_task = asyncio.ensure_future(config())
    mode_task = asyncio.ensure_future(
        _nothing(None) if "containers_allowed" in reads.skip else read(_device_mode, ros)
    )
    disks_task = asyncio.ensure_future(
        _nothing([]) if "disks" in reads.skip else read(_print, ros, "disk")
    )
    tasks = {
        name: asyncio.ensure_future(read(_print, ros, menu))
        for name, menu in MENUS.items()
        if name not in reads.skip and name not in reads.when
    }
    for name, needed in reads.when.items():
        if name not in reads.skip:
            tasks[name] = asyncio.ensure_future(read_if(name, needed))
    everything = [resource, config_task, mode_task, disks_task, *tasks.values()]
    try:
        await asyncio.gather(*everything)
    finally:
        for task in everything:  # after a failure, the reads still under way
            task.cancel()
    info = resource.result()
    return RouterState(
        version=parse_version(info.get("version", "0.0")),
        architecture=info.get("architecture-name", ""),
        disks=tuple(_disk(record) for record in disks_task.result()),
        config=config_task.result(),
        containers_allowed=mode_task.result(),
        **{name: tuple(task.result()) for name, task in tasks.items()},  # type: ignore[arg-type]
    )


async def _device_mode(ros: AsyncRouterClient) -> bool | None:
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
