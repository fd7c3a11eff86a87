"""Deploy one spec: read, plan, apply; plan again when another mikrodock got there first.

A lost claim (:class:`~mikrodock.containers.claims.Conflict`) has already been rolled back when
it reaches here. The deploy waits a random moment (growing with each attempt, so deploys that
clashed do not clash again in step) and plans from a fresh read of the router. From the second
attempt on, the address is picked at random among the free ones (``SPREAD``), so that many
deploys retrying at once spread over the subnet instead of all taking the next one. A retry
after a lost address plans from the menus the claim has just read (VETHs and addresses) and
the rest of the last read, without reading the whole router again: every claim is checked
again after its add anyway.
"""

from __future__ import annotations

import contextlib
import random
from typing import TYPE_CHECKING

import anyio

from mikrodock.containers.apply import Applied, Progress, apply_plan
from mikrodock.containers.claims import Conflict, release
from mikrodock.containers.plan import plan_run, reads_for
from mikrodock.containers.state import RouterState, read_state
from mikrodock.containers.steps import Plan, Step
from mikrodock.errors import MikrodockError, PlanError
from mikrodock.routeros.dialect import Dialect

if TYPE_CHECKING:
    from mikrodock.containers.spec import ContainerSpec
    from mikrodock.routeros.client import AsyncRouterClient

__all__ = ["ATTEMPTS", "SPREAD", "backoff", "deploy"]

ATTEMPTS = 12
"""Plans tried before giving up (each lost claim costs one)."""
SPREAD = 256
"""After a lost claim, the address is one of this many first free ones (a whole /24), at
random."""


def backoff(attempt: int) -> float:
    """Seconds to wait after the ``attempt``-th lost claim (from 1): 50 ms doubling up to 1.6 s,
    each between half and one and a half times that, at random."""
    return min(0.05 * float(2 ** (attempt - 1)), 1.6) * random.uniform(0.5, 1.5)


async def deploy(
    ros: AsyncRouterClient,
    spec: ContainerSpec,
    *,
    progress: Progress | None = None,
    timeout: float = 600.0,
    poll: float = 1.0,
) -> tuple[Plan, Applied]:
    """Plan and apply ``spec`` until no concurrent deploy takes what the plan chose.

    Shared objects an attempt made before it lost a claim stay for the next attempt; should
    the deploy end without success, they are released (removed if nobody uses them)."""
    kept: list[tuple[Step, str | None]] = []
    try:
        return await _attempts(ros, spec, kept, progress=progress, timeout=timeout, poll=poll)
    except BaseException:
        if kept:
            with anyio.CancelScope(shield=True), contextlib.suppress(MikrodockError):
                await release(ros, kept)
        raise


async def _attempts(
    ros: AsyncRouterClient,
    spec: ContainerSpec,
    kept: list[tuple[Step, str | None]],
    *,
    progress: Progress | None,
    timeout: float,
    poll: float,
) -> tuple[Plan, Applied]:
    last: Conflict | None = None
    state: RouterState | None = None
    for attempt in range(ATTEMPTS):
        if last is not None:
            await anyio.sleep(backoff(attempt))
        if state is not None and last is not None and last.fresh and not last.kept:
            state = state.with_objects(**last.fresh)
        else:
            state = await read_state(ros, reads_for(spec))
        plan = plan_run(spec, state, spread=SPREAD if attempt else 0)
        dialect = Dialect.for_version(state.version)
        try:
            applied = await apply_plan(
                ros, plan, dialect, progress=progress, timeout=timeout, poll=poll
            )
        except Conflict as conflict:
            kept += conflict.kept
            last = conflict
            continue
        return plan, applied
    raise PlanError(
        f"gave up after {ATTEMPTS} attempts: {last}",
        hint="other mikrodock processes kept changing the router; try again",
    )
