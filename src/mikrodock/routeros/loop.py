"""A private event loop in a daemon thread, for synchronous callers of async code.

The sync facades (:class:`mikrodock.routeros.client.RouterClient`, and the container API's) call
:func:`run_sync`, which hands the coroutine to one asyncio loop running in a daemon thread and
waits for its result. One loop serves every sync client of the process, so pooled connections
survive between calls; it works from plain code and from code already inside an event loop
(a notebook, an async test); the daemon thread never blocks interpreter exit; after a fork the
child starts its own loop.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["run_sync"]

T = TypeVar("T")


class _LoopThread:
    """One asyncio event loop in a daemon thread, shared by every sync client of the process."""

    _lock = threading.Lock()
    _loop: asyncio.AbstractEventLoop | None = None
    _pid = 0

    @classmethod
    def loop(cls) -> asyncio.AbstractEventLoop:
        with cls._lock:
            if cls._loop is None or cls._pid != os.getpid():  # new process after fork
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="mikrodock-routeros", daemon=True
                )
                thread.start()
                cls._loop, cls._pid = loop, os.getpid()
            return cls._loop


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on the private loop and wait for it (the facade's one mechanism)."""
    loop = _LoopThread.loop()
    try:
        current = asyncio.get_running_loop()
    except RuntimeError:
        current = None
    if current is loop:
        coroutine.close()
        raise RuntimeError("run_sync() called on its own event loop: await the coroutine instead")
    # By hand rather than run_coroutine_threadsafe: a lock released by the task's done
    # callback costs about a third less CPU per call than its chained concurrent Future.
    finished = threading.Lock()
    finished.acquire()
    box: list[asyncio.Task[T] | BaseException] = []

    def start() -> None:
        try:
            task = loop.create_task(coroutine)
        except BaseException as exc:  # pragma: no cover - not a coroutine, a closed loop
            box.append(exc)
            finished.release()
            return
        box.append(task)
        task.add_done_callback(lambda _: finished.release())

    loop.call_soon_threadsafe(start)
    try:
        finished.acquire()
    except BaseException:  # Ctrl-C while waiting: cancel the work (it starts before this runs)
        loop.call_soon_threadsafe(lambda: [t.cancel() for t in box if isinstance(t, asyncio.Task)])
        raise
    outcome = box[0]
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome.result()
