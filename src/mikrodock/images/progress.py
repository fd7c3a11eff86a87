"""Byte progress for downloads and conversions: a protocol, a silent one and a rich bar."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

__all__ = ["ByteProgress", "RichByteProgress", "SilentProgress"]


class ByteProgress(Protocol):
    """Where long byte-moving jobs report to. ``key`` names one job (a blob digest)."""

    def start(self, key: str, description: str, total: int) -> None: ...

    def advance(self, key: str, amount: int) -> None: ...

    def finish(self, key: str) -> None: ...


class SilentProgress:
    """Reports nowhere (library use, ``--quiet``, tests)."""

    def start(self, key: str, description: str, total: int) -> None:
        pass

    def advance(self, key: str, amount: int) -> None:
        pass

    def finish(self, key: str) -> None:
        pass


class RichByteProgress:
    """One bar per job on stderr: bytes done, total, speed, time left."""

    def __init__(self, console: Console | None = None) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> RichByteProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def start(self, key: str, description: str, total: int) -> None:
        self._tasks[key] = self._progress.add_task(description, total=total or None)

    def advance(self, key: str, amount: int) -> None:
        task = self._tasks.get(key)
        if task is not None:
            self._progress.advance(task, amount)

    def finish(self, key: str) -> None:
        task = self._tasks.get(key)
        if task is not None:
            done = self._progress.tasks[task].completed
            self._progress.update(task, total=done, completed=done)
