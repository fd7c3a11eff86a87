"""Host ports for forwarded guest ports: free ones picked on 127.0.0.1, asked ones checked.

Call these while holding :func:`mikrodock.chr.state.allocation_lock` and pass the ports that
other machines' records already hold: QEMU binds them only when it starts, so a free port on the
host may still be promised to a machine that is starting.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable

from mikrodock.errors import UsageError

__all__ = ["check_free", "is_free", "pick_free"]


def is_free(port: int, address: str = "127.0.0.1") -> bool:
    """True when a TCP listener could bind ``address:port`` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # QEMU binds its forwards with SO_REUSEADDR: connections in TIME_WAIT do not block it.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
            probe.listen(1)
        except OSError:
            return False
    return True


def pick_free(count: int, taken: Iterable[int] = (), *, udp: bool = False) -> list[int]:
    """``count`` distinct ports free on 127.0.0.1 and not in ``taken``."""
    avoid = set(taken)
    picked: list[int] = []
    for _ in range(count * 50):
        if len(picked) == count:
            break
        kind = socket.SOCK_DGRAM if udp else socket.SOCK_STREAM
        with socket.socket(socket.AF_INET, kind) as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port in avoid or port in picked:
            continue
        if udp or is_free(port, "0.0.0.0"):
            picked.append(port)
    if len(picked) < count:
        raise UsageError("could not find free host ports", hint="close some programs or machines")
    return picked


def check_free(
    port: int, taken: Iterable[int] = (), *, publish_all: bool = False, grace: float = 0.0
) -> None:
    """Raise a UsageError naming the fix when ``port`` cannot be used for a forward.

    ``grace``: seconds to wait for the port to come free (a machine's own port, held a moment
    longer by its QEMU that was just killed: a process gives its sockets back only after its
    memory, which takes a while for a guest's)."""
    if not 0 < port < 65536:
        raise UsageError(f"bad port {port}", hint="host ports are 1-65535")
    address = "0.0.0.0" if publish_all else "127.0.0.1"
    deadline = time.monotonic() + grace
    while port not in set(taken) and not is_free(port, address) and time.monotonic() < deadline:
        time.sleep(0.05)
    if port in set(taken) or not is_free(port, address):
        raise UsageError(
            f"host port {port} is already in use",
            hint="pick another host port with -p HOST:GUEST or stop what holds it",
        )
