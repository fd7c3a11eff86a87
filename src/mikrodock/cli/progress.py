"""What a long wait shows on a terminal: one status line (rich) saying which step is under way,
updated by the library's progress callback. Nothing on a pipe or with ``--json``: scripts read
only the answer."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["phase_status", "phases_status", "step_status"]


@contextmanager
def phase_status(
    *, quiet: bool = False, before_first: Callable[[], None] = lambda: None
) -> Iterator[Callable[[str], None]]:
    """A callback that shows each phase of a long job (``chr run``'s boot) as a status line on
    stderr, started at the first phase (after ``before_first``, which ends a download bar: a
    terminal has one live line at a time). Does nothing off a terminal or when ``quiet``.
    The one place a status line is drawn; the helpers below are built on it."""
    if quiet or not sys.stderr.isatty():
        yield lambda _text: None
        return
    from rich.console import Console

    shown: list[Any] = []

    def on_phase(text: str) -> None:
        if not shown:
            before_first()
            status = Console(stderr=True).status(text)
            status.start()
            shown.append(status)
        shown[0].update(text)

    try:
        yield on_phase
    finally:
        if shown:
            shown[0].stop()


@contextmanager
def step_status(first: str, *, quiet: bool = False) -> Iterator[Callable[[Any], None] | None]:
    """A callback for :data:`mikrodock.containers.apply.Progress` that shows each step's
    ``why`` on stderr while it runs (None, and nothing shown, off a terminal or when ``quiet``)."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    with phase_status() as show:
        show(first)
        yield lambda step: show(str(getattr(step, "why", step)))


@contextmanager
def phases_status(*, quiet: bool = False) -> Iterator[Callable[[str, str], None]]:
    """Like :func:`phase_status` for jobs that run side by side (a lab's routers): the status
    line shows each one's phase, ``r1: waiting ... | r2: ready``. Callable from any thread."""
    import threading

    now: dict[str, str] = {}
    lock = threading.Lock()
    with phase_status(quiet=quiet) as show:

        def on_phase(key: str, text: str) -> None:
            with lock:
                now[key] = text
                show(" | ".join(f"{k}: {v}" for k, v in sorted(now.items())))

        yield on_phase
