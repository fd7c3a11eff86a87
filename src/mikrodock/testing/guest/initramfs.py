"""The test guest's initramfs: a gzip'd cpio (newc) archive with a static busybox, the guest
scripts and the kernel modules.

The archive is written here rather than by ``cpio`` so that files belong to root and the
console device node exists without building as root, and so the same inputs give the same bytes.
"""

from __future__ import annotations

import gzip
import io
import stat
import struct
import subprocess
from pathlib import Path

from mikrodock.errors import ImageError
from mikrodock.testing.guest import scripts
from mikrodock.testing.guest.kernel import GuestKernel
from mikrodock.testing.guest.listener import LISTEN_ELF

__all__ = ["BUSYBOX", "CpioWriter", "build_initramfs"]

BUSYBOX = Path("/bin/busybox")


class CpioWriter:
    """A cpio "newc" archive built in memory; every entry owned by root, mtime 0."""

    def __init__(self) -> None:
        self._out = io.BytesIO()
        self._ino = 0

    def _entry(
        self, name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0)
    ) -> None:
        self._ino += 1
        encoded = name.encode() + b"\0"
        fields = (self._ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(encoded), 0)
        self._out.write(b"070701" + b"".join(b"%08X" % value for value in fields))
        self._out.write(encoded)
        self._pad()
        self._out.write(data)
        self._pad()

    def _pad(self) -> None:
        self._out.write(b"\0" * (-self._out.tell() % 4))

    def directory(self, name: str) -> None:
        self._entry(name, stat.S_IFDIR | 0o755)

    def file(self, name: str, data: bytes, mode: int = 0o644) -> None:
        self._entry(name, stat.S_IFREG | mode, data)

    def symlink(self, name: str, target: str) -> None:
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def char_device(self, name: str, major: int, minor: int, mode: int = 0o600) -> None:
        self._entry(name, stat.S_IFCHR | mode, rdev=(major, minor))

    def finish(self) -> bytes:
        self._entry("TRAILER!!!", 0)
        return self._out.getvalue()


def _check_static(binary: Path) -> bytes:
    """The bytes of a statically linked x86_64 ELF (a dynamic busybox cannot run in the guest)."""
    try:
        data = binary.read_bytes()
    except FileNotFoundError as exc:
        raise ImageError(f"{binary} is missing", hint="apt-get install busybox-static") from exc
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise ImageError(f"{binary} is not a 64-bit ELF", hint="apt-get install busybox-static")
    (phoff,) = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        (p_type,) = struct.unpack_from("<I", data, phoff + i * phentsize)
        if p_type == 3:  # PT_INTERP: dynamically linked
            raise ImageError(
                f"{binary} is dynamically linked", hint="apt-get install busybox-static"
            )
    return data


def _applets(binary: Path) -> list[str]:
    out = subprocess.run([str(binary), "--list"], capture_output=True, text=True, check=True)
    return sorted({name for name in out.stdout.split() if name and "/" not in name})


def build_initramfs(kernel: GuestKernel, busybox: Path = BUSYBOX) -> bytes:
    """The gzip'd initramfs for ``kernel``."""
    archive = CpioWriter()
    for directory in ("bin", "dev", "etc", "flash", "lib", "lib/modules", "proc", "sys", "tmp"):
        archive.directory(directory)
    archive.char_device("dev/console", 5, 1)
    archive.char_device("dev/null", 1, 3, 0o666)
    archive.file("bin/busybox", _check_static(busybox), 0o755)
    for applet in _applets(busybox):
        if applet != "busybox":
            archive.symlink(f"bin/{applet}", "busybox")
    archive.file("bin/listen", LISTEN_ELF, 0o755)
    archive.file("init", scripts.INIT.encode(), 0o755)
    archive.file("etc/http.sh", scripts.HTTP_HANDLER.encode(), 0o755)
    archive.file("etc/udhcpc.script", scripts.UDHCPC_SCRIPT.encode(), 0o755)
    for name, data in kernel.modules:
        archive.file(f"lib/modules/{name}.ko", data)
    order = "".join(f"{name}\n" for name, _ in kernel.modules)
    archive.file("lib/modules/order", order.encode())
    return gzip.compress(archive.finish(), compresslevel=6, mtime=0)
