"""How a command stops on SIGINT (Ctrl-C) and SIGTERM (``kill``, a supervisor, a CI job).

Both end the command the same way: the running work is cancelled, so whatever it changed is
rolled back, and the command exits 128 + the signal's number (130, 143) with one line saying
what happened. SIGTERM is handled on its own, never turned into SIGINT: a script's background
job (``mikrodock logs -f web & kill $!``) has SIGINT ignored by the shell, and that ignore is kept.

:func:`run` is the one place the CLI runs a coroutine; library code never touches signals.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, TypeVar

__all__ = ["Stopped", "handling_sigterm", "on_signal", "run"]

T = TypeVar("T")

_handlers: list[Callable[[str], None]] = []


class Stopped(KeyboardInterrupt):
    """The command was stopped by a signal; ``note`` says what was rolled back or left."""

    def __init__(self, signum: int, note: str = "") -> None:
        super().__init__(signum)
        self.signum = signum
        self.note = note

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def _raise_stopped(signum: int, _frame: FrameType | None) -> None:
    raise Stopped(signum)


@contextmanager
def handling_sigterm() -> Iterator[None]:
    """SIGTERM raises :class:`Stopped` (a KeyboardInterrupt, so code that cleans up on Ctrl-C
    cleans up on SIGTERM too) while the command runs."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only: nothing to take here
        return
    previous = signal.signal(signal.SIGTERM, _raise_stopped)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def on_signal(handler: Callable[[str], None]) -> Iterator[None]:
    """Inside :func:`run`: call ``handler(signal name)`` on SIGINT/SIGTERM instead of
    cancelling the command (for ``run`` in the foreground, which stops the container first)."""
    _handlers.append(handler)
    try:
        yield
    finally:
        _handlers.remove(handler)


def _signals() -> list[signal.Signals]:
    wanted = [signal.SIGTERM]
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:  # ignored in a background job
        wanted.append(signal.SIGINT)
    return wanted


def _rolled_back(error: BaseException | None) -> str:
    notes: list[str] = []
    while error is not None:
        notes += [n for n in getattr(error, "__notes__", ()) if n not in notes]
        error = error.__context__
    return "; ".join(notes)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to its end; SIGINT/SIGTERM cancel it (its cleanup runs) and then raise
    :class:`Stopped` carrying the cleanup's notes ("rolled back 7 change(s)")."""
    import asyncio

    got: list[int] = []
    with asyncio.Runner() as runner:
        loop = runner.get_loop()
        task = loop.create_task(coro)

        def stop(sig: signal.Signals) -> None:
            if _handlers:
                _handlers[-1](sig.name)
                return
            got.append(sig)
            if len(got) == 1:
                task.cancel()

        previous = {sig: signal.getsignal(sig) for sig in _signals()}
        installed: list[signal.Signals] = []
        try:
            for sig in previous:
                try:
                    loop.add_signal_handler(sig, stop, sig)
                except (ValueError, RuntimeError):
                    break  # not the main thread: no signals to take
                installed.append(sig)
            return loop.run_until_complete(task)
        except asyncio.CancelledError as error:
            if got:
                raise Stopped(got[0], _rolled_back(error)) from None
            raise
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)
                signal.signal(sig, previous[sig])
