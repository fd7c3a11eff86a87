"""Waiting for a machine to be ready: ``/rest/system/resource`` answering with board-name.

QEMU's user network (slirp) accepts a connection on a forwarded port at once, whatever the
guest is doing. While the guest has no address yet, slirp retries reaching it with backed-off
timers (the first retry about 6 s later) and the connection just hangs; once the guest is up, a
*new* connection gets through at once while the old ones keep hanging until their next retry.
And an authenticated ``/system/resource`` can take the guest a while to compute (seconds for
the test guest under emulation), so a request the guest is working on looks, from outside,
just like one slirp holds. So a booting machine is probed in two phases:

1. *Network unknown*: cheap requests without credentials (any router answers those at once,
   with a 401), a new one every 100 ms, side by side, each dropped after 3 s: before slirp's
   first retry, so a dropped request never reaches the guest later. Every 5 s one of them is
   *patient* instead (at most two out) and waits up to 30 s, for a guest that is up but slow
   to answer even that. Requests refused by the host (QEMU not listening yet) just end.
2. *Network up*: as soon as any request reaches the guest (an HTTP answer of any kind, or the
   connection reset by the guest soon after it was opened), the hanging ones are dropped and
   the real question is asked, with the credentials, one request at a time, 50 ms apart, each
   waited for up to 30 s, so a busy guest is never flooded. When one hangs past that, back to
   phase 1.

The first answer with a board-name counts as ready. A machine restored from a snapshot has its
network up already and starts in phase 2.

While waiting, the QEMU process and its stderr are watched: an exit or an accelerator failure
ends the wait at once with the reason, instead of running into the timeout.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from mikrodock.errors import AuthError, UsageError

__all__ = ["NotReady", "Ready", "Watch", "check_timeout", "reported_version", "wait_ready"]

_MAX_TIMEOUT = 7 * 24 * 3600.0


def check_timeout(seconds: float, flag: str = "--timeout") -> float:
    """``seconds`` when it is a usable wait (finite, above 0, at most a week), else a UsageError
    raised before anything is downloaded or started."""
    if not math.isfinite(seconds) or not 0 < seconds <= _MAX_TIMEOUT:
        raise UsageError(
            f"{flag} {seconds:g} is not a usable wait",
            hint="give seconds above 0 and up to a week (604800), e.g. 300",
        )
    return seconds


_POLL = 0.1
_POLL_UP = 0.05
_SHORT_LIFE = 3.0
_PATIENT_EVERY = 5.0
_MAX_PATIENT = 2
_PATIENCE = 30.0
_REACHED_WITHIN = 5.0  # a reset later than this may be slirp giving up, not the guest


@dataclass
class NotReady(Exception):
    """The wait ended without a ready machine: ``reason`` says why; ``accel_broke`` if KVM/HVF."""

    reason: str
    accel_broke: bool = False

    def __str__(self) -> str:
        return self.reason


Watch = Callable[[], NotReady | None]
"""Called between polls; returns a NotReady when the machine cannot become ready any more."""


@dataclass(frozen=True)
class Probe:
    """What one request learnt: the board-name if ready, whether the guest was reached, and
    whether it hung (no answer within its patience); with the board, the version reported."""

    board: str | None
    reached: bool
    hung: bool = False
    version: str = ""


@dataclass(frozen=True)
class Ready:
    """The answer that made the machine ready: when (``time.time()`` values), and the RouterOS
    version it reported (``7.22.3``; '' when it did not say)."""

    first_answer: float
    ready: float
    version: str = ""

    def timings(self) -> dict[str, float]:
        return {"first_answer": self.first_answer, "ready": self.ready}


def reported_version(value: object) -> str:
    """The version number in ``/system/resource``'s ``version`` (``7.22.3 (stable)`` ->
    ``7.22.3``); '' for anything that is not such a text."""
    if not isinstance(value, str):
        return ""
    words = value.split()
    number = words[0] if words else ""
    return number if number[:1].isdigit() and number.isprintable() and len(number) <= 40 else ""


async def probe(
    client: httpx.AsyncClient,
    url: str,
    auth: tuple[str, str] | None,
    patience: float = _PATIENCE,
) -> Probe:
    """One request; with ``auth``, the readiness question (AuthError if the machine refuses
    the credentials), without, only whether the guest answers at all."""
    started = time.monotonic()
    try:
        response = await client.get(url, auth=auth, timeout=httpx.Timeout(patience, connect=1.0))
    except httpx.ConnectError:
        return Probe(None, reached=False)  # nothing listening yet
    except httpx.TimeoutException:
        return Probe(None, reached=False, hung=True)
    except httpx.TransportError:  # accepted, then closed: the guest said no (reset)
        return Probe(None, reached=time.monotonic() - started < _REACHED_WITHIN)
    if response.status_code == 401 and auth is not None:
        raise AuthError(
            401,
            "Unauthorized",
            "the machine refused the credentials",
            hint="check the machine's password file",
        )
    board, version = None, ""
    if response.status_code == 200 and auth is not None:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("board-name"):
            board, version = str(body["board-name"]), reported_version(body.get("version"))
    return Probe(board, reached=True, version=version)


class _Prober:
    """The two phases above, one decision per tick."""

    def __init__(
        self, client: httpx.AsyncClient, url: str, auth: tuple[str, str], network_up: bool
    ) -> None:
        self.client, self.url, self.auth, self.network_up = client, url, auth, network_up
        self.out: dict[asyncio.Task[Probe], float] = {}
        self.patient: set[asyncio.Task[Probe]] = set()
        self.dropped: list[asyncio.Task[Probe]] = []
        self.last_start = 0.0
        self.last_patient = -_PATIENT_EVERY

    @property
    def cadence(self) -> float:
        return _POLL_UP if self.network_up else _POLL

    def _drop(self, task: asyncio.Task[Probe]) -> None:
        task.cancel()
        self.dropped.append(task)
        del self.out[task]
        self.patient.discard(task)

    def launch(self) -> None:
        now = time.monotonic()
        if not self.network_up:
            for task, started in list(self.out.items()):
                if task not in self.patient and now - started > _SHORT_LIFE:
                    self._drop(task)
        if now - self.last_start < self.cadence or (self.network_up and self.out):
            return
        auth = self.auth if self.network_up else None
        task = asyncio.create_task(probe(self.client, self.url, auth))
        self.out[task] = self.last_start = now
        wanted = now - self.last_patient >= _PATIENT_EVERY and len(self.patient) < _MAX_PATIENT
        if not self.network_up and wanted:
            self.patient.add(task)
            self.last_patient = now

    def settle(self, done: set[asyncio.Task[Probe]]) -> Probe | None:
        """Take finished probes into account; returns the ready answer once there is one."""
        for task in done:
            self.out.pop(task, None)
            self.patient.discard(task)
            result = task.result()
            if result.board:
                return result
            if result.reached and not self.network_up:
                self.network_up = True
                for other in list(self.out):  # hanging in slirp: a new request is faster
                    self._drop(other)
            elif result.hung and self.network_up and not self.out:
                self.network_up = False  # it hung after all: back to side by side
        return None

    async def close(self) -> None:
        for task in self.out:
            task.cancel()
        await asyncio.gather(*self.out, *self.dropped, return_exceptions=True)


async def _wait(
    url: str, auth: tuple[str, str], timeout: float, watch: Watch, booting: bool
) -> Ready:
    deadline = time.monotonic() + timeout
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=0)
    # plain http to 127.0.0.1: no CA bundle to load
    async with httpx.AsyncClient(trust_env=False, limits=limits, verify=False) as client:
        prober = _Prober(client, url, auth, network_up=not booting)
        try:
            while True:
                problem = watch()
                if problem is not None:
                    raise problem
                prober.launch()
                wait_for = max(0.005, prober.last_start + prober.cadence - time.monotonic())
                if prober.out:
                    done, _ = await asyncio.wait(
                        prober.out, timeout=wait_for, return_when=asyncio.FIRST_COMPLETED
                    )
                    answer = prober.settle(done)
                    if answer is not None:
                        now = time.time()
                        return Ready(now, now, answer.version)
                else:
                    await asyncio.sleep(wait_for)
                if time.monotonic() > deadline:
                    raise NotReady(f"no answer from {url} with board-name after {timeout:.0f} s")
        finally:
            await prober.close()


def wait_ready(
    base_url: str,
    user: str,
    password: str,
    *,
    timeout: float,
    watch: Watch,
    booting: bool = True,
) -> Ready:
    """Block until ready; returns when (``first_answer``, ``ready``) and the version reported.

    ``booting``: start in phase 1 (see above). A machine restored from a snapshot has its
    network up already, so it starts in phase 2.
    """
    url = f"{base_url}/rest/system/resource"
    given_up = threading.Event()

    def watch_or_give_up() -> NotReady | None:
        return NotReady("the wait was given up") if given_up.is_set() else watch()

    work = _wait(url, (user, password), timeout, watch_or_give_up, booting)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(asyncio.run, work).result()
    finally:
        # On Ctrl-C the caller must not wait for the probing to end by itself (up to the
        # timeout): the probing thread sees this at its next tick and stops.
        given_up.set()
        pool.shutdown(wait=False)
