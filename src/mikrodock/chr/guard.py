"""A new router is never reachable with its empty password, whatever kills ``chr run``.

A fresh CHR answers REST as ``admin`` with an empty password until it is provisioned. So a new
machine boots with none of its forwarded ports open: only a private forward to its REST port
(``provision_port``, on 127.0.0.1) that ``chr run`` provisions through. Once the password is set
the public forwards are added to the running QEMU (``hostfwd_add`` through the monitor) and the
private one removed. Two things cover a ``chr run`` that dies on the way (even by SIGKILL):

- a *watchdog*: a small process in its own session that ``chr run`` holds a pipe to. When the
  pipe closes before ``chr run`` said the machine is done, it kills the QEMU at once (found by its
  ``-pidfile`` argument);
- an *unfinished lock*: ``chr run`` holds an ``flock`` on ``provision.lock`` in the machine folder
  while the record says ``provisioning``. The kernel drops it with the process, so the next
  mikrodock command sees the machine was abandoned: ``chr ls`` ends any QEMU left and shows it as
  ``not provisioned``, ``chr run`` and ``chr rm`` remove it, ``chr start`` refuses it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from mikrodock.chr.qmp import qmp_call
from mikrodock.chr.state import MachineRecord
from mikrodock.errors import MachineError

__all__ = [
    "Unfinished",
    "Watchdog",
    "abandoned",
    "monitor_forward",
    "open_forwards",
    "pids_with_pidfile",
]

LOCK = "provision.lock"


class Unfinished:
    """The ``flock`` a ``chr run`` holds while its machine is not provisioned."""

    def __init__(self, folder: Path) -> None:
        self._fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def abandoned(record: MachineRecord) -> bool:
    """True when ``record`` is still provisioning and no process holds its lock."""
    if record.status != "provisioning":
        return False
    try:
        fd = os.open(record.dir / LOCK, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def pids_with_pidfile(pidfile: Path) -> list[int]:
    """Processes whose command line names ``pidfile`` (our QEMUs: ``-pidfile PATH``)."""
    wanted = str(pidfile).encode()
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"-pidfile" in argv and wanted in argv:
            found.append(int(entry.name))
    return found


class Watchdog:
    """Kills the machine's QEMU if this process ends before :meth:`disarm`."""

    def __init__(self, pidfile: Path) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "mikrodock.chr.guard", str(pidfile)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, close_fds=True,
        )  # fmt: skip

    def disarm(self) -> None:
        """The machine is provisioned (or already removed): the watchdog leaves it be."""
        stdin = self._proc.stdin
        if stdin is not None and not stdin.closed:
            try:
                stdin.write(b"done\n")
                stdin.close()
            except OSError:
                pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


def monitor_forward(record: MachineRecord, line: str, fine: str = "") -> None:
    """Run ``hostfwd_add``/``hostfwd_remove`` ``line`` in the running QEMU's monitor;
    MachineError when QEMU answers anything but nothing (or ``fine``)."""
    command = {"command-line": line}
    answer = str(qmp_call(record.dir / "qmp.sock", "human-monitor-command", command)).strip()
    if answer and not (fine and fine in answer):  # hostfwd_add says nothing when it worked
        raise MachineError(
            f"QEMU refused `{line}` for {record.name}: {answer}",
            hint="another program may have taken the port; run the machine again",
        )


def open_forwards(record: MachineRecord) -> None:
    """Add the record's public forwards to its running QEMU and drop the private one."""
    bind = "" if record.publish_all else "127.0.0.1"
    for port in sorted(record.ports):
        monitor_forward(record, f"hostfwd_add net0 tcp:{bind}:{port.host}-:{port.guest}")
    if record.provision_port:
        line = f"hostfwd_remove net0 tcp:127.0.0.1:{record.provision_port}"
        monitor_forward(record, line, fine="removed")


def _watch(pidfile: Path) -> None:
    """The watchdog process: wait for ``done`` or the end of the pipe; on the end, kill."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is for chr run, which cleans up
    if sys.stdin.buffer.readline().strip() == b"done":
        return
    deadline = time.monotonic() + 3.0  # QEMU may have been started a moment ago
    while True:
        pids = pids_with_pidfile(pidfile)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if pids or time.monotonic() > deadline:
            return
        time.sleep(0.05)


if __name__ == "__main__":
    _watch(Path(sys.argv[1]))
