"""What a long wait shows on a terminal: one status line (rich) saying which step is under way,
updated by the library's progress callback. Nothing on a pipe or with ``--json``: scripts read
only the answer."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["step_status"]


@contextmanager
def step_status(first: str, *, quiet: bool = False) -> Iterator[Callable[[Any], None] | None]:
    """A callback for :data:`mikrodock.containers.apply.Progress` that shows each step's
    ``why`` on stderr while it runs (None, and nothing shown, off a terminal or when ``quiet``)."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console

    with Console(stderr=True).status(first) as status:

        def on_step(step: Any) -> None:
            status.update(str(getattr(step, "why", step)))

        yield on_step
