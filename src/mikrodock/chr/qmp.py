"""QMP over the machine's unix socket, usable from plain and from async code.

Every control action (power-down, quit, stop/cont, migrate, status) goes through
:func:`qmp_call` or :func:`run_qmp`, which run the ``qemu.qmp`` client on a fresh event loop in a
worker thread, so callers need not care whether an event loop is already running.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from qemu.qmp import QMPClient

from mikrodock.errors import MachineError

__all__ = ["qmp_call", "run_qmp"]

T = TypeVar("T")


def _in_thread(factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await factory()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


def run_qmp(
    socket: Path,
    work: Callable[[QMPClient], Awaitable[T]],
    timeout: float = 10.0,
    *,
    connect_within: float = 0.0,
) -> T:
    """Connect to ``socket``, run ``work(client)``, disconnect; errors become MachineError.

    ``connect_within``: keep retrying a refused or missing socket that long (a QEMU that is
    still starting creates the socket file a moment before it listens).
    """

    async def connect() -> QMPClient:
        deadline = time.monotonic() + connect_within
        while True:
            client = QMPClient("mikrodock")
            try:
                await asyncio.wait_for(client.connect(str(socket)), timeout)
                return client
            except Exception as exc:
                if time.monotonic() < deadline:
                    await asyncio.sleep(0.02)
                    continue
                raise MachineError(
                    f"cannot reach QEMU's monitor at {socket}: {exc}",
                    hint="the machine is not running; see `mikrodock chr ls`",
                ) from exc

    async def session() -> T:
        client = await connect()
        try:
            return await work(client)
        finally:
            # a QEMU that ended meanwhile drops the connection: that must not hide work's error
            with contextlib.suppress(Exception):
                await client.disconnect()

    return _in_thread(session)


def qmp_call(
    socket: Path, command: str, args: dict[str, Any] | None = None, timeout: float = 10.0
) -> Any:
    """One QMP command and its result."""

    async def work(client: QMPClient) -> Any:
        return await asyncio.wait_for(client.execute(command, args), timeout)

    return run_qmp(socket, work, timeout)
