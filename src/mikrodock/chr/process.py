"""QEMU processes: find the binaries and firmware, launch, watch, end, and find strays.

A launched QEMU runs in its own session (it outlives ``chr run``); its stderr goes to
``qemu.log`` in the machine folder, its pid to ``qemu.pid``. Processes this Python process
started are kept in a registry so they are reaped, never left as zombies.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from mikrodock.chr.argv import qemu_binary
from mikrodock.chr.state import MachineRecord, machines_root, pid_alive
from mikrodock.errors import MachineError

__all__ = [
    "Stray",
    "child",
    "end_process",
    "find_firmware",
    "find_qemu",
    "find_strays",
    "launch",
    "running_pid",
    "wait_exit",
]

_PACKAGES = {"x86_64": "qemu-system-x86", "aarch64": "qemu-system-arm"}
_FIRMWARE = (
    ("/usr/share/AAVMF/AAVMF_CODE.fd", "/usr/share/AAVMF/AAVMF_VARS.fd"),
    ("/usr/share/qemu-efi-aarch64/QEMU_EFI.fd", ""),
    ("/opt/homebrew/share/qemu/edk2-aarch64-code.fd", ""),
    ("/usr/local/share/qemu/edk2-aarch64-code.fd", ""),
)
_children: dict[int, subprocess.Popen[bytes]] = {}


def find_qemu(arch: str) -> str:
    path = shutil.which(qemu_binary(arch))
    if path is None:
        raise MachineError(
            f"{qemu_binary(arch)} is not installed",
            hint=f"install the Debian package {_PACKAGES.get(arch, 'qemu-system')}"
            " (apt-get install " + _PACKAGES.get(arch, "qemu-system") + ")",
        )
    if shutil.which("qemu-img") is None:
        raise MachineError(
            "qemu-img is not installed", hint="install the Debian package qemu-utils"
        )
    return path


def find_firmware() -> tuple[Path, Path | None]:
    """EDK2 code for aarch64 and, when shipped beside it, a vars template."""
    for code, vars_ in _FIRMWARE:
        if Path(code).is_file():
            return Path(code), (Path(vars_) if vars_ and Path(vars_).is_file() else None)
    raise MachineError(
        "no EDK2 firmware for aarch64 machines",
        hint="install the Debian package qemu-efi-aarch64",
    )


def make_vars(code: Path, template: Path | None, out: Path) -> None:
    """A per-machine UEFI vars file exactly as large as the code (two equal pflash units)."""
    size = code.stat().st_size
    data = template.read_bytes()[:size] if template else b""
    with open(out, "wb") as handle:
        handle.write(data)
        handle.truncate(size)


def launch(argv: list[str], folder: Path) -> subprocess.Popen[bytes]:
    """Start QEMU detached from our session; stderr to ``folder/qemu.log``."""
    with open(folder / "qemu.log", "ab") as log:
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            raise MachineError(f"cannot start {argv[0]}: {exc}") from exc
    _children[proc.pid] = proc
    return proc


def child(pid: int) -> subprocess.Popen[bytes] | None:
    """The Popen of a QEMU this process started (None for others), for its exit code."""
    return _children.get(pid)


def alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:
        return child.poll() is None
    return pid_alive(pid)


def wait_exit(pid: int, timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for ``pid`` to end; True when it did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            _children.pop(pid, None)
            return True
        time.sleep(0.05)
    return not alive(pid)


def end_process(pid: int, grace: float = 3.0) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds; reaps our own children."""
    if pid <= 0 or not alive(pid):
        _children.pop(pid, None)
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            break
        if wait_exit(pid, wait):
            break
    _children.pop(pid, None)


@dataclass(frozen=True)
class Stray:
    """A QEMU whose machine folder is gone (found through its ``-pidfile`` argument)."""

    pid: int
    name: str
    folder: Path


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return raw.decode(errors="replace").split("\0")


def find_strays() -> list[Stray]:
    """QEMU processes started for a machine folder that no longer exists (Linux only)."""
    root = machines_root()
    strays: list[Stray] = []
    proc = Path("/proc")
    if not proc.is_dir():
        return strays
    for entry in proc.iterdir():
        if not entry.name.isdigit() or not pid_alive(int(entry.name)):
            continue
        argv = _cmdline(int(entry.name))
        if not argv or "qemu-system" not in Path(argv[0]).name or "-pidfile" not in argv:
            continue
        pidfile = Path(argv[argv.index("-pidfile") + 1])
        if pidfile.parent.parent != root or (pidfile.parent / "machine.json").exists():
            continue
        strays.append(Stray(int(entry.name), pidfile.parent.name, pidfile.parent))
    return strays


def qemu_pid_for(folder: Path) -> int:
    """The pid QEMU wrote to ``folder/qemu.pid`` when it is still that QEMU, else 0."""
    try:
        pid = int((folder / "qemu.pid").read_text().strip())
    except (OSError, ValueError):
        return 0
    argv = _cmdline(pid)
    if argv and str(folder / "qemu.pid") not in argv:
        return 0
    return pid if alive(pid) else 0


def signal_name(code: int) -> str:
    if code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return str(code)
    return str(code)


def running_pid(record: MachineRecord) -> int:
    """The pid of this machine's QEMU when it runs, else 0 (a reused pid does not count)."""
    pid = record.pid
    if pid <= 0 or not alive(pid):
        return 0
    argv = _cmdline(pid)
    if argv and str(record.dir / "qemu.pid") not in argv:
        return 0
    return pid
