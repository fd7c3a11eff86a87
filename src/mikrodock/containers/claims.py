"""Claims on a router that other mikrodock processes change at the same moment.

No lock on this machine can stop two mikrodock processes (here or on another machine) from
reading the same router, both finding address ``.7`` or host port 9700 free, and both taking
it. So a deploy claims on the router itself: it adds the tagged object, reads the menu again,
and the earliest object (the lowest ``.id``: RouterOS numbers new items upwards) wins.

* A VETH address or a network's subnet lost: this deploy removes its object and raises
  :class:`Conflict`; the deploy rolls back, waits a random moment and plans again.
* A host port lost: the port was the user's choice, so the deploy fails with a clear error.
* A shared object (a network's masquerade rule, the logging rule) added twice: the later copy
  is removed again and the earlier one used.
* The container itself: a second one of the same name loses; and the network it joined must
  still be there (another deploy's rollback may have released it a moment before).

On rollback, shared objects (a network's bridge, gateway address and masquerade rule; the
logging rule) are removed only when no container uses them any more (:func:`release`).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from mikrodock.containers.network import forwards, network_tag
from mikrodock.containers.query import owner_of
from mikrodock.containers.spec import TAG_PREFIX
from mikrodock.containers.steps import Step
from mikrodock.errors import MikrodockError, NotFoundError, UsageError

if TYPE_CHECKING:
    from mikrodock.containers.apply import Applied
    from mikrodock.routeros.client import AsyncRouterClient

__all__ = ["Conflict", "adopt", "check_claim", "id_order", "release"]

Record = Mapping[str, str]


class Conflict(MikrodockError):
    """Another mikrodock took what this deploy chose a moment earlier: roll back, plan again.

    ``kept``: the shared objects (network, logging rule) the rolled-back attempt made and left
    for the next one, with their ids; released by whoever gives up."""

    kept: list[tuple[Step, str | None]] = []  # noqa: RUF012 (replaced per instance)

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        fresh: Mapping[str, Sequence[Record]] | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.fresh = dict(fresh or {})
        """Menus read again for the claim (RouterState field -> records), newer than the plan's."""


def id_order(item_id: str | None) -> int:
    """The number behind a RouterOS id (``*1A`` -> 26); unknown spellings sort last."""
    try:
        return int((item_id or "").lstrip("*"), 16)
    except ValueError:
        return 1 << 62


def _earlier(record: Record, item: str) -> bool:
    other = record.get(".id", "")
    return other != item and id_order(other) < id_order(item)


def _ip(record: Record) -> ipaddress.IPv4Interface | None:
    try:
        return ipaddress.IPv4Interface(record.get("address", ""))
    except ValueError:
        return None


async def _withdraw(ros: AsyncRouterClient, step: Step, item: str, applied: Applied) -> None:
    """Remove what ``step`` just added and forget it (nothing left for the rollback)."""
    with contextlib.suppress(NotFoundError):
        await ros.remove(step.menu, item)
    applied.done = [(s, i) for s, i in applied.done if not (s is step and i == item)]
    if step.key is not None:
        applied.ids.pop(step.key, None)


async def adopt(ros: AsyncRouterClient, step: Step, applied: Applied) -> bool:
    """After RouterOS refused a shared object's add because its name exists (another mikrodock
    made the network's bridge a moment ago): use that object if it carries the same tag. It is
    not this deploy's to undo."""
    name, tag = step.body.get("name"), step.body.get("comment")
    if step.undo is None or step.undo.kind != "release" or not name or not tag:
        return False
    for record in await ros.print(step.menu, where={"name": str(name)}):
        if record.get("name") == name and record.get("comment") == tag:
            if step.key is not None:
                applied.ids[step.key] = record[".id"]
            return True
    return False


async def check_claim(
    ros: AsyncRouterClient, step: Step, item: str | None, applied: Applied
) -> None:
    """Check the claim of an ``add`` just done (``item`` is what it made); see the module."""
    claim = step.claim
    if claim is None or item is None:
        return
    if claim.kind == "address":
        await _address(ros, step, item, applied, ipaddress.IPv4Address(claim.subject))
    elif claim.kind == "subnet":
        await _subnet(ros, step, item, applied)
    elif claim.kind == "port":
        await _port(ros, step, item, claim.subject)
    elif claim.kind == "shared":
        await _shared(ros, step, item, applied)
    else:
        await _container(ros, step, item, claim.subject)


async def _address(
    ros: AsyncRouterClient, step: Step, item: str, applied: Applied, ip: ipaddress.IPv4Address
) -> None:
    veths, addresses = await asyncio.gather(ros.print("interface/veth"), ros.print("ip/address"))
    taken = any(_earlier(v, item) and (i := _ip(v)) and i.ip == ip for v in veths)
    taken = taken or any((i := _ip(a)) and i.ip == ip for a in addresses)
    if taken:
        await _withdraw(ros, step, item, applied)
        raise Conflict(
            f"address {ip} was taken by another deploy a moment earlier",
            fresh={"veths": [v for v in veths if v.get(".id") != item], "addresses": addresses},
        )


async def _subnet(ros: AsyncRouterClient, step: Step, item: str, applied: Applied) -> None:
    ours = ipaddress.IPv4Interface(str(step.body["address"]))
    tag = str(step.body.get("comment", ""))
    earlier = [
        a
        for a in await ros.print("ip/address")
        if _earlier(a, item) and (i := _ip(a)) and i.network.overlaps(ours.network)
    ]
    if not earlier:
        return
    await _withdraw(ros, step, item, applied)
    same = [a for a in earlier if a.get("comment") == tag and _ip(a) == ours]
    if same and step.key is not None:  # the same network made by another mikrodock: use it
        applied.ids[step.key] = same[0][".id"]
        return
    raise Conflict(f"subnet {ours.network} was taken by another deploy a moment earlier")


async def _port(ros: AsyncRouterClient, step: Step, item: str, mapping: str) -> None:
    ours = forwards([{**{k: str(v) for k, v in step.body.items()}, ".id": item}])
    if not ours:
        return
    mine = ours[0]
    for other in forwards(await ros.print("ip/firewall/nat")):
        if other.id == item or not _earlier({".id": other.id}, item):
            continue
        if other.clashes(mine.protocol, mine.address, mine.low, mine.high):
            ports = str(mine.low) if mine.low == mine.high else f"{mine.low}-{mine.high}"
            raise UsageError(
                f"host port {ports}/{mine.protocol} of -p {mapping} was taken a moment earlier"
                f" (by {other.owner})",
                hint="pick another host port, or remove what uses it",
            )


async def _shared(ros: AsyncRouterClient, step: Step, item: str, applied: Applied) -> None:
    marks = dict(step.find)
    copies = [
        r
        for r in await ros.print(step.menu)
        if _earlier(r, item) and all(r.get(k) == v for k, v in marks.items())
    ]
    if copies:
        await _withdraw(ros, step, item, applied)
        if step.key is not None:
            applied.ids[step.key] = min(copies, key=lambda r: id_order(r.get(".id")))[".id"]


async def _container(ros: AsyncRouterClient, step: Step, item: str, network: str) -> None:
    name, tag = step.body.get("name"), step.body.get("comment")
    logs = step.body.get("logging") == "yes"
    containers, bridges, addresses, nat, logging = await asyncio.gather(
        ros.print("container"),
        ros.print("interface/bridge"),
        ros.print("ip/address"),
        ros.print("ip/firewall/nat"),
        ros.print("system/logging") if logs else _nothing(),
    )
    for other in containers:
        if _earlier(other, item) and (
            (name and other.get("name") == name) or other.get("comment") == tag
        ):
            shown = name or str(tag).removeprefix(TAG_PREFIX)
            raise UsageError(
                f"a container named {shown!r} was made a moment earlier by another deploy",
                hint=f"remove it with `mikrodock rm -f {shown}` or pick another --name",
            )
    mark = network_tag(network)
    for records, what in ((bridges, "bridge"), (addresses, "address"), (nat, "masquerade rule")):
        if not any(r.get("comment") == mark for r in records):
            raise Conflict(f"the {what} of network {network} was removed by another deploy")
    if logs and not any(
        "container" in r.get("topics", "").split(",") and r.get("disabled") != "true"
        for r in logging
    ):
        raise Conflict("the logging rule for containers was removed by another deploy")


async def _nothing() -> list[dict[str, str]]:
    return []


async def release(ros: AsyncRouterClient, shared: Sequence[tuple[Step, str | None]]) -> list[str]:
    """Remove the shared objects this deploy made (``shared``: steps with a ``release`` undo
    and their ids) that no container uses any more; returns the problems met."""
    problems: list[str] = []
    made = [(step, item) for step, item in shared if item is not None]
    if not made:
        return problems
    networks = {
        str(step.body.get("comment", ""))
        for step, _ in made
        if str(step.body.get("comment", "")).startswith(network_tag(""))
    }
    busy = await _busy_networks(ros, networks) if networks else set()
    logging_busy = any(step.menu == "system/logging" for step, _ in made) and any(
        owner_of(c) is not None for c in await ros.print("container")
    )
    # the bridge first: a deploy that joins the network right now then sees it gone at once
    order = {"interface/bridge": 0, "ip/address": 1}
    for step, item in sorted(made, key=lambda pair: order.get(pair[0].menu, 2)):
        comment = str(step.body.get("comment", ""))
        if comment in busy or (step.menu == "system/logging" and logging_busy):
            continue
        try:
            await ros.remove(step.menu, str(item))
        except NotFoundError:
            pass
        except MikrodockError as error:
            problems.append(f"{step.why}: {error}")
    return problems


async def _busy_networks(ros: AsyncRouterClient, tags: set[str]) -> set[str]:
    """The network tags among ``tags`` whose bridge has a port or whose subnet has a VETH."""
    bridges, addresses, ports, veths = await asyncio.gather(
        ros.print("interface/bridge"),
        ros.print("ip/address"),
        ros.print("interface/bridge/port"),
        ros.print("interface/veth"),
    )
    busy = set()
    for tag in tags:
        names = {b.get("name") for b in bridges if b.get("comment") == tag}
        subnets = [i.network for a in addresses if a.get("comment") == tag and (i := _ip(a))]
        if any(p.get("bridge") in names for p in ports) or any(
            (i := _ip(v)) and any(i.ip in net for net in subnets) for v in veths
        ):
            busy.add(tag)
    return busy
