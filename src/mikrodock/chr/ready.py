"""Waiting for a machine to be ready: ``/rest/system/resource`` answering with board-name.

Probes start every 100 ms and run side by side: while the guest has no address yet, QEMU's
user network accepts a connection and then holds it, so one held probe must not delay noticing
the first real answer. Probes are not given up by a timeout (a busy guest would then answer
requests nobody waits for any more); new ones start only while fewer than three young ones
(under 1 s) wait, at most six wait, and the oldest is dropped only after 1.5 s plus a tenth
of the time waited so far, which bounds the load on a slow guest. Two good answers in a row
count as ready (the second is sent at once, the other probes dropped). A machine restored from
a snapshot has its network up already and is probed one request at a time.

While waiting, the QEMU process and its stderr are watched: an exit or an accelerator failure
ends the wait at once with the reason, instead of running into the timeout.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from mikrodock.errors import AuthError

__all__ = ["NotReady", "Watch", "wait_ready"]

_POLL = 0.1
_MAX_IN_FLIGHT = 6
_MAX_YOUNG = 3
_YOUNG = 1.0
_PATIENCE = 30.0


@dataclass
class NotReady(Exception):
    """The wait ended without a ready machine: ``reason`` says why; ``accel_broke`` if KVM/HVF."""

    reason: str
    accel_broke: bool = False

    def __str__(self) -> str:
        return self.reason


Watch = Callable[[], NotReady | None]
"""Called between polls; returns a NotReady when the machine cannot become ready any more."""


async def _board(client: httpx.AsyncClient, url: str, patience: float = 10.0) -> str | None:
    try:
        response = await client.get(url, timeout=httpx.Timeout(patience, connect=1.0))
    except httpx.HTTPError:
        return None
    if response.status_code == 401:
        raise AuthError(
            401,
            "Unauthorized",
            "the machine refused the credentials",
            hint="check the machine's password file",
        )
    if response.status_code != 200:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    board = body.get("board-name") if isinstance(body, dict) else None
    return str(board) if board else None


async def _wait(
    url: str, auth: tuple[str, str], timeout: float, watch: Watch, side_by_side: bool
) -> dict[str, float]:
    max_young, max_in_flight = (_MAX_YOUNG, _MAX_IN_FLIGHT) if side_by_side else (1, 1)
    began = time.monotonic()
    deadline = began + timeout
    limits = httpx.Limits(max_connections=_MAX_IN_FLIGHT + 2, max_keepalive_connections=0)
    async with httpx.AsyncClient(
        auth=auth, timeout=httpx.Timeout(10.0, connect=2.0), trust_env=False, limits=limits
    ) as client:
        probes: dict[asyncio.Task[str | None], float] = {}
        dropped: list[asyncio.Task[str | None]] = []
        try:
            while True:
                problem = watch()
                if problem is not None:
                    raise problem
                now = time.monotonic()
                young = sum(1 for started in probes.values() if now - started < _YOUNG)
                if young < max_young and (side_by_side or not probes):
                    if len(probes) >= max_in_flight:
                        oldest = min(probes, key=probes.__getitem__)
                        if now - probes[oldest] > 1.5 + 0.1 * (now - began):
                            oldest.cancel()
                            dropped.append(oldest)
                            del probes[oldest]
                    if len(probes) < max_in_flight:
                        probes[asyncio.create_task(_board(client, url, _PATIENCE))] = now
                if not probes:
                    await asyncio.sleep(_POLL)
                    continue
                done, _ = await asyncio.wait(
                    probes, timeout=_POLL, return_when=asyncio.FIRST_COMPLETED
                )
                for task in done:
                    probes.pop(task, None)
                    if task.result():
                        first = time.time()
                        for other in probes:  # spare the guest the requests still out
                            other.cancel()
                            dropped.append(other)
                        probes.clear()
                        if await _board(client, url):
                            return {"first_answer": first, "ready": time.time()}
                if time.monotonic() > deadline:
                    raise NotReady(f"no answer from {url} with board-name after {timeout:.0f} s")
        finally:
            for task in probes:
                task.cancel()
            await asyncio.gather(*probes, *dropped, return_exceptions=True)


def wait_ready(
    base_url: str,
    user: str,
    password: str,
    *,
    timeout: float,
    watch: Watch,
    booting: bool = True,
) -> dict[str, float]:
    """Block until ready; returns timings (``first_answer``, ``ready`` as time.time() values).

    ``booting``: probes side by side (see above). A machine restored from a snapshot has its
    network up already, so it is probed one request at a time, each waited for.
    """
    url = f"{base_url}/rest/system/resource"
    work = _wait(url, (user, password), timeout, watch, booting)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result()
