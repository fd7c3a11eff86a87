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
    future = asyncio.run_coroutine_threadsafe(coroutine, loop)
    try:
        return future.result()
    except BaseException:
        future.cancel()
        raise
