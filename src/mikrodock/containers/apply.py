"""Apply a plan with the REST client; on failure (or Ctrl-C) undo what it did, in reverse.

Each step that creates an object records its ``.id``; ``wait`` steps poll until the image is
extracted; a container is removed by stopping it, polling until it is stopped, then deleting.
Reads are retried by the client; writes never are. The error that stopped the apply is raised
again with RouterOS's detail intact and a hint saying what was rolled back.

Other mikrodock processes may change the router at the same time: an ``add`` with a claim is
checked once done (:mod:`mikrodock.containers.claims`), and an ``add`` RouterOS refuses because
the name was taken a moment ago raises :class:`~mikrodock.containers.claims.Conflict` (the caller
plans again). The rollback releases shared objects only when nobody uses them.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import anyio

from mikrodock.containers.claims import Conflict, adopt, check_claim, release
from mikrodock.containers.query import container_error, container_state
from mikrodock.containers.steps import Plan, Ref, Step, Value
from mikrodock.errors import MikrodockError, NotFoundError, PlanError, RouterError
from mikrodock.routeros.dialect import Dialect

if TYPE_CHECKING:
    from mikrodock.routeros.client import AsyncRouterClient

__all__ = ["Applied", "apply_plan", "remove_container", "rollback", "wait_for_state"]

Progress = Callable[[Step], None]
_EXTRACTING = {"extracting", "downloading", "unknown"}


@dataclass
class Applied:
    """What an apply did: the ids of created objects by step key, and the steps in order."""

    ids: dict[str, str] = field(default_factory=dict)
    done: list[tuple[Step, str | None]] = field(default_factory=list)
    in_flight: Step | None = None
    """An ``add`` sent but not answered (cancelled mid-request): it may have happened."""
    kept: list[tuple[Step, str | None]] = field(default_factory=list)
    """Shared objects a rollback left in place for the next attempt (see :func:`rollback`)."""


def _resolve(value: Value | None, ids: Mapping[str, str]) -> str:
    if isinstance(value, Ref):
        return ids[value.key]
    return value or ""


def _body(step: Step, ids: Mapping[str, str]) -> dict[str, str]:
    return {key: _resolve(value, ids) for key, value in step.body.items()}


async def wait_for_state(
    ros: AsyncRouterClient,
    item: str,
    done: Callable[[str], bool],
    *,
    timeout: float,
    poll: float,
    what: str,
    look_now: bool = True,
    seen: Callable[[str], None] | None = None,
) -> dict[str, str]:
    """Follow ``/container/<item>`` until ``done(state)``; raise on errors and on timeout.

    The client streams the record's changes (the API protocol's own stream, or looks every
    ``poll`` seconds, quick at first, over REST). ``look_now=False`` waits a moment before the
    first look, for a state that has only just been set in motion (right after the add or the
    start): RouterOS cannot have moved on yet. ``seen`` hears each state RouterOS reports on
    the way (once per change), for a status line."""
    if not look_now:
        await anyio.sleep(min(poll, 0.05))
    told = state = ""
    with anyio.move_on_after(timeout):
        async with contextlib.aclosing(ros.follow("container", item, poll=poll)) as changes:
            async for record in changes:
                state = container_state(record)
                if seen is not None and state != told:
                    seen(state)
                    told = state
                error = container_error(record)
                if error and state != "running":
                    raise PlanError(
                        f"{what}: RouterOS reports {error!r}",
                        hint="check the image name, the architecture and the registry",
                    )
                if done(state):
                    return record
    raise PlanError(
        f"{what}: still {state or 'unseen'} after {timeout:.0f} s",
        hint="the router may be slow to download; try again with a longer --timeout",
    )


async def remove_container(
    ros: AsyncRouterClient, item: str, dialect: Dialect, *, timeout: float = 60, poll: float = 0.5
) -> None:
    """Stop (if needed), poll until stopped, then delete one container.

    A container still extracting is deleted right away; should RouterOS refuse, the delete is
    tried again once the extraction has ended."""
    try:
        record = await ros.get("container", item)
    except NotFoundError:
        return
    state = container_state(record)
    if state == "extracting":
        try:
            await ros.remove("container", item)
            return
        except NotFoundError:
            return
        except RouterError as error:
            if error.status != 400:
                raise
    if state in ("running", "starting"):
        await ros.command("container", "stop", {dialect.numbers_arg: item})
    if state not in ("stopped", "error", "unknown"):
        await wait_for_state(
            ros,
            item,
            lambda s: s not in ("running", "starting", "stopping", "extracting"),
            timeout=timeout,
            poll=poll,
            what=f"stopping container {item}",
        )
    try:
        await ros.remove("container", item)
    except NotFoundError:
        return


async def _run(
    ros: AsyncRouterClient,
    step: Step,
    applied: Applied,
    dialect: Dialect,
    timeout: float,
    poll: float,
    progress: Progress | None = None,
) -> None:
    body = _body(step, applied.ids)
    if step.action == "add":
        applied.in_flight = step
        try:
            record = await ros.add(step.menu, body)
        except RouterError as error:
            applied.in_flight = None
            if _taken_meanwhile(step, error) and await adopt(ros, step, applied):
                return
            if _taken_meanwhile(step, error):
                raise Conflict(
                    f"{step.why}: another deploy changed the router a moment ago ({error.detail})"
                ) from error
            raise
        applied.in_flight = None
        item = record.get(".id") or record.get("ret")
        if not item:  # older answers: find what was just made by the fields that identify it
            found = await ros.print(step.menu, where=dict(step.find))
            item = found[-1][".id"] if found else None
        if step.key and item:
            applied.ids[step.key] = item
        applied.done.append((step, item))
        await check_claim(ros, step, item, applied)
    elif step.action == "set":
        if step.item is None:
            await ros.command(step.menu, "set", body)
        else:
            await ros.set(step.menu, _resolve(step.item, applied.ids), body)
        applied.done.append((step, None))
    elif step.action == "command":
        await ros.command(step.menu, step.command or "", body)
        applied.done.append((step, None))
        if step.menu == "container" and step.command == "start" and step.item is not None:
            # like docker run: return once the container has left "starting" (or failed)
            await wait_for_state(
                ros,
                _resolve(step.item, applied.ids),
                lambda s: s != "starting",
                timeout=timeout,
                poll=poll,
                what="starting the container",
                look_now=False,
            )
    else:
        item = _resolve(step.item, applied.ids)
        await wait_for_state(
            ros,
            item,
            lambda s: s not in _EXTRACTING,
            timeout=timeout,
            poll=poll,
            what="downloading and extracting the image",
            look_now=not _just_added(step, applied),
            seen=_telling(progress, step),
        )


def _telling(progress: Progress | None, step: Step) -> Callable[[str], None] | None:
    """For a wait step: each state RouterOS reports goes to ``progress`` as the step again,
    its ``why`` followed by the state (``... (RouterOS: extracting)``)."""
    if progress is None:
        return None

    def seen(state: str) -> None:
        progress(dataclasses.replace(step, why=f"{step.why} (RouterOS: {state})"))

    return seen


def _taken_meanwhile(step: Step, error: RouterError) -> bool:
    """Whether RouterOS refused an add because of something made after the plan was made: a
    name taken, or (for a bridge port) the network's bridge gone."""
    if error.status != 400:
        return False
    if "already have" in error.detail or "already exists" in error.detail:
        return True  # RouterOS: "failure: already have interface with such name", ...
    return step.menu == "interface/bridge/port" and "input does not match" in error.detail


def _just_added(wait: Step, applied: Applied) -> bool:
    """Whether the step before this wait added the very container it waits for."""
    if not applied.done or not isinstance(wait.item, Ref):
        return False
    last, _ = applied.done[-1]
    return last.action == "add" and last.key == wait.item.key


async def _undo(
    ros: AsyncRouterClient,
    step: Step,
    item: str | None,
    ids: Mapping[str, str],
    dialect: Dialect,
    poll: float,
) -> None:
    if step.undo is None:
        return
    if step.undo.kind == "restore":
        if step.item is None:
            # only what still holds the value set here: another deploy may have set it since
            current = await ros.get(step.menu)
            body = {
                key: value
                for key, value in step.undo.body.items()
                if current.get(key, "") == _resolve(step.body.get(key), ids)
            }
            if body:
                await ros.command(step.menu, "set", body)
        else:
            await ros.set(step.menu, _resolve(step.item, ids), dict(step.undo.body))
        return
    if item is None:
        return
    try:
        if step.menu == "container":
            await remove_container(ros, item, dialect, poll=poll)
        else:
            await ros.remove(step.menu, item)
    except NotFoundError:
        pass


async def _adopt_in_flight(ros: AsyncRouterClient, applied: Applied) -> None:
    """Record an object an interrupted ``add`` made (found by its fields and tag) for undo."""
    step, applied.in_flight = applied.in_flight, None
    if step is None or not step.find:
        return
    try:
        found = await ros.print(step.menu, where=dict(step.find))
    except MikrodockError:
        return
    mark = step.body.get("comment")
    for record in found:
        if mark is None or record.get("comment") == mark:
            applied.done.append((step, record.get(".id")))


async def rollback(
    ros: AsyncRouterClient,
    applied: Applied,
    dialect: Dialect,
    poll: float = 0.5,
    *,
    keep_shared: bool = False,
) -> list[str]:
    """Undo every recorded step in reverse; returns the problems met (empty when clean).

    Shared objects (``release`` undos) go last, if nobody uses them; with ``keep_shared`` (the
    deploy will try again at once) they stay, listed in ``applied.kept``."""
    problems: list[str] = []
    with anyio.CancelScope(shield=True):
        await _adopt_in_flight(ros, applied)
        shared = []
        for step, item in reversed(applied.done):
            if step.undo is not None and step.undo.kind == "release":
                shared.append((step, item))  # once the rest is gone, if nobody uses them
                continue
            try:
                await _undo(ros, step, item, applied.ids, dialect, poll)
            except MikrodockError as error:
                problems.append(f"{step.why}: {error}")
        if keep_shared:
            applied.kept = shared
            return problems
        try:
            problems += await release(ros, shared)
        except MikrodockError as error:
            problems.append(f"shared objects: {error}")
    return problems


async def apply_plan(
    ros: AsyncRouterClient,
    plan: Plan,
    dialect: Dialect,
    *,
    progress: Progress | None = None,
    timeout: float = 600.0,
    poll: float = 1.0,
) -> Applied:
    """Run every step; if one fails or the task is cancelled, roll back and re-raise.

    A lost claim (:class:`Conflict`) keeps the shared objects made (``conflict.kept``): the
    caller plans again and uses them, or releases them when it gives up."""
    applied = Applied()
    try:
        for step in plan.steps:
            if progress is not None:
                progress(step)
            await _run(ros, step, applied, dialect, timeout, poll, progress)
    except BaseException as error:
        conflict = isinstance(error, Conflict)
        problems = await rollback(ros, applied, dialect, poll, keep_shared=conflict)
        if isinstance(error, Conflict):
            error.kept = applied.kept
        undone = len([s for s, _ in applied.done if s.undo is not None])
        note = f"rolled back {undone} change(s)"
        if problems:
            note += "; could not undo: " + "; ".join(problems)
        if isinstance(error, MikrodockError):
            error.hint = f"{error.hint}; {note}" if error.hint else note
        else:  # cancelled (Ctrl-C, SIGTERM): the CLI's one line says what was undone
            error.add_note(f"{note}; the router is as before" if not problems else note)
        raise
    return applied
