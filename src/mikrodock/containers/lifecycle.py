"""start, stop, restart, kill, rm, pull, stats: one container, found by name, in the version's
dialect. ``rm`` removes the container and every object tagged for it, and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from mikrodock.containers.apply import remove_container, wait_for_state
from mikrodock.containers.query import container_state, is_tagged_for, owner_of
from mikrodock.containers.spec import TAG_PREFIX
from mikrodock.containers.state import no_container_package
from mikrodock.containers.unsupported import require_command
from mikrodock.errors import NotFoundError, PlanError, UsageError
from mikrodock.routeros.dialect import Dialect

if TYPE_CHECKING:
    from mikrodock.routeros.client import AsyncRouterClient

__all__ = [
    "OWNED_MENUS",
    "find_record",
    "kill",
    "pull",
    "remove",
    "restart",
    "start",
    "stats",
    "stop",
    "tagged_objects",
]

OWNED_MENUS = (
    "ip/firewall/filter",
    "ip/firewall/nat",
    "interface/bridge/port",
    "interface/veth",
    "container/envs",
    "container/mounts",
)
"""Menus that hold a container's own objects, in the order ``rm`` removes them."""

_STOPPED = ("stopped", "error", "unknown")


async def find_record(ros: AsyncRouterClient, name: str) -> dict[str, str]:
    """The container called ``name`` (by name, by mikrodock's tag, or by ``.id``)."""
    tag = f"{TAG_PREFIX}{name}"
    try:
        records = await ros.print("container")
    except NotFoundError:
        raise no_container_package() from None
    for record in records:
        if name in (record.get("name"), record.get(".id")) or record.get("comment") == tag:
            return record
    raise UsageError(f"no such container: {name}", hint="see `mikrodock ps -a`")


def _item(dialect: Dialect, command: str) -> str:
    return dialect.item_arg("container", command) or dialect.numbers_arg


async def _settle(
    ros: AsyncRouterClient, name: str, record: dict[str, str], poll: float
) -> dict[str, str]:
    """Wait out a passing state (extracting, stopping) before acting on the container."""
    if container_state(record) not in ("extracting", "stopping"):
        return record
    return await wait_for_state(
        ros,
        record[".id"],
        lambda s: s not in ("extracting", "stopping"),
        timeout=600,
        poll=poll,
        what=f"waiting for {name}",
    )


async def start(ros: AsyncRouterClient, dialect: Dialect, name: str, *, poll: float = 0.5) -> None:
    """Start the container; one still extracting or stopping is waited for first."""
    record = await _settle(ros, name, await find_record(ros, name), poll)
    if container_state(record) in ("running", "starting"):
        return
    await ros.command("container", "start", {_item(dialect, "start"): record[".id"]})


async def stop(
    ros: AsyncRouterClient, dialect: Dialect, name: str, *, timeout: float = 10, poll: float = 0.5
) -> None:
    """Stop and wait until stopped; past ``timeout`` kill it where the version can."""
    record = await find_record(ros, name)
    item = record[".id"]
    state = container_state(record)
    if state in (*_STOPPED, "extracting"):
        return
    if state != "stopping":
        await ros.command("container", "stop", {_item(dialect, "stop"): item})
    try:
        await wait_for_state(
            ros, item, lambda s: s in _STOPPED, timeout=timeout, poll=poll, what=f"stopping {name}"
        )
    except PlanError:
        if not dialect.has_kill:
            raise
        await ros.command("container", "kill", {_item(dialect, "kill"): item, "signal": "9"})
        await wait_for_state(
            ros, item, lambda s: s in _STOPPED, timeout=30, poll=poll, what=f"killing {name}"
        )


async def restart(
    ros: AsyncRouterClient, dialect: Dialect, name: str, *, timeout: float = 10
) -> None:
    if dialect.has_restart:
        record = await find_record(ros, name)
        await ros.command("container", "restart", {_item(dialect, "restart"): record[".id"]})
        return
    await stop(ros, dialect, name, timeout=timeout)
    await start(ros, dialect, name)


async def kill(ros: AsyncRouterClient, dialect: Dialect, name: str, signal: str = "KILL") -> None:
    from mikrodock.containers.plan import signal_number

    require_command(dialect, "container", "kill", "kill")
    record = await find_record(ros, name)
    await ros.command(
        "container",
        "kill",
        {_item(dialect, "kill"): record[".id"], "signal": signal_number(signal, "kill -s")},
    )


async def tagged_objects(ros: AsyncRouterClient, name: str) -> dict[str, list[dict[str, str]]]:
    """Every object in :data:`OWNED_MENUS` whose comment is exactly ``mikrodock:<name>``."""
    found: dict[str, list[dict[str, str]]] = {}
    for menu in OWNED_MENUS:
        try:
            records = await ros.print(menu)
        except Exception:  # a menu this router lacks (e.g. no firewall filter package)
            continue
        mine = [r for r in records if is_tagged_for(r, name)]
        if mine:
            found[menu] = mine
    return found


async def remove(
    ros: AsyncRouterClient, dialect: Dialect, name: str, *, force: bool = False
) -> list[str]:
    """Remove the container and every object tagged for it; returns what was removed."""
    removed: list[str] = []
    try:
        record: Mapping[str, str] | None = await find_record(ros, name)
    except UsageError:
        record = None
    if record is not None and owner_of(record) is None:
        raise UsageError(
            f"container {name} was not made by mikrodock, so mikrodock does not remove it",
            hint="remove it on the router (/container remove), or with the tool that made it",
        )
    if record is not None:
        if container_state(record) not in _STOPPED and not force:
            raise UsageError(
                f"container {name} is {container_state(record)}",
                hint=f"stop it first, or use `mikrodock rm -f {name}`",
            )
        await remove_container(ros, record[".id"], dialect)
        removed.append(f"/container {record['.id']}")
    objects = await tagged_objects(ros, name)
    if record is None and not objects:
        raise UsageError(f"no such container: {name}", hint="see `mikrodock ps -a`")
    for menu in OWNED_MENUS:
        for obj in objects.get(menu, []):
            await ros.remove(menu, obj[".id"])
            removed.append(f"/{menu} {obj['.id']}")
    return removed


async def pull(ros: AsyncRouterClient, dialect: Dialect, name: str, *, poll: float = 0.5) -> None:
    """Download the image again (``repull`` 7.20+, else ``update``): a running container is
    stopped first, and started again once the new image is extracted."""
    command = "repull" if dialect.has_repull else "update"
    require_command(dialect, "container", command, "pull")
    record = await find_record(ros, name)
    if owner_of(record) is None:
        raise UsageError(
            f"container {name} was not made by mikrodock; it is left as it is",
            hint="pull it on the router (/container repull)",
        )
    was_running = container_state(record) in ("running", "starting")
    if was_running:
        await stop(ros, dialect, name, poll=poll)
    await ros.command("container", command, {_item(dialect, command): record[".id"]})
    await wait_for_state(
        ros,
        record[".id"],
        lambda s: s != "extracting",
        timeout=600,
        poll=poll,
        what=f"pulling the image of {name}",
    )
    if was_running:
        await start(ros, dialect, name, poll=poll)


_STATS = (
    "cpu-usage",
    "memory-current",
    "memory-high",
    "memory-max",
    "memory-peak",
    "pids",
    "uptime",
    "network-rx",
    "network-tx",
)


async def stats(ros: AsyncRouterClient, name: str) -> dict[str, str]:
    """The resource fields RouterOS reports for the container (whichever this version has)."""
    record = await find_record(ros, name)
    return {
        "name": name,
        **{k: record[k] for k in _STATS if k in record},
        "state": container_state(record),
    }
