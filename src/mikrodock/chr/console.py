"""The serial console: attach a terminal to the machine's console socket, and follow its log.

QEMU copies everything the console prints to ``serial.log`` itself (``-chardev ...,logfile=``),
so the log is complete even when nobody is attached. :func:`attach` relays bytes between the
terminal (raw mode when it is one) and the socket until the detach key (Ctrl-] by default).
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import sys
import termios
import time
import tty
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from mikrodock.chr.state import load_record
from mikrodock.chr.status import running_pid
from mikrodock.errors import MachineError, UsageError

__all__ = ["DETACH_KEY", "attach", "follow_log", "log_path"]

DETACH_KEY = b"\x1d"  # Ctrl-]


def log_path(name: str) -> Path:
    return load_record(name).dir / "serial.log"


@contextlib.contextmanager
def _raw(fd: int) -> Iterator[None]:
    if not os.isatty(fd):
        yield
        return
    saved = termios.tcgetattr(fd)
    try:
        tty.setraw(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def attach(
    name: str,
    *,
    stdin: int | None = None,
    stdout: BinaryIO | None = None,
    detach_key: bytes = DETACH_KEY,
    on_attached: Callable[[], None] | None = None,
) -> None:
    """Relay the terminal to the console of running machine ``name`` until the detach key;
    ``on_attached`` is called once the console is reached (a bad name prints nothing else)."""
    record = load_record(name)
    if not running_pid(record):
        raise UsageError(f"{name} is not running", hint=f"start it: mikrodock chr start {name}")
    in_fd = sys.stdin.fileno() if stdin is None else stdin
    out = stdout or sys.stdout.buffer
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(str(record.dir / "serial.sock"))
    except OSError as exc:
        raise MachineError(
            f"cannot attach to the console of {name}: {exc}",
            hint="another console may be attached; detach it first",
        ) from exc
    if on_attached is not None:
        on_attached()
    with conn, _raw(in_fd):
        conn.sendall(b"\r")
        while True:
            ready, _, _ = select.select([in_fd, conn], [], [])
            if conn in ready:
                data = conn.recv(4096)
                if not data:
                    return
                out.write(data)
                out.flush()
            if in_fd in ready:
                data = os.read(in_fd, 1024)
                if not data or detach_key in data:
                    before = data.split(detach_key)[0] if data else b""
                    if before:
                        conn.sendall(before)
                    return
                conn.sendall(data)


def follow_log(
    name: str, write: Callable[[bytes], None], *, follow: bool = False, poll: float = 0.2
) -> None:
    """Write the console log; with ``follow``, keep writing new lines while the machine runs."""
    path = log_path(name)
    position = 0
    while True:
        try:
            with open(path, "rb") as handle:
                handle.seek(position)
                data = handle.read()
        except FileNotFoundError:
            data = b""
        if data:
            write(data)
            position += len(data)
        if not follow or not running_pid(load_record(name)):
            return
        time.sleep(poll)
