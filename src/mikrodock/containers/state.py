"""What the planner needs to know about a router, read in one go (concurrently).

:class:`RouterState` is plain data, so plans can be made without a router (``--router-version``)
from :meth:`RouterState.empty`, and tests can build one by hand.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from mikrodock.errors import NotFoundError, RouterError
from mikrodock.routeros.facts import Disk, read_facts
from mikrodock.routeros.version import RouterOSVersion, parse_version

if TYPE_CHECKING:
    from mikrodock.routeros.client import AsyncRouterOS

__all__ = ["MENUS", "Record", "RouterState", "read_state"]

Record = Mapping[str, str]

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


async def _print(ros: AsyncRouterOS, menu: str) -> list[dict[str, str]]:
    try:
        return await ros.print(menu)
    except NotFoundError:
        return []
    except RouterError as error:
        if error.status == 400 and "no such command" in error.detail:
            return []
        raise


async def read_state(ros: AsyncRouterOS) -> RouterState:
    """Read facts and every menu a plan looks at (concurrently)."""
    menus = list(MENUS.items())
    facts_task = asyncio.ensure_future(read_facts(ros))
    config_task = asyncio.ensure_future(ros.get("container/config"))
    records: list[list[dict[str, str]]] = await asyncio.gather(
        *(_print(ros, menu) for _, menu in menus)
    )
    facts = await facts_task
    config: dict[str, str] = await config_task
    objects = {name: tuple(result) for (name, _), result in zip(menus, records, strict=True)}
    return RouterState(
        version=facts.version,
        architecture=facts.architecture,
        disks=facts.disks,
        config=config,
        **objects,  # type: ignore[arg-type]
    )
