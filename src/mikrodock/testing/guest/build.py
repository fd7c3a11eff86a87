"""Assemble the test guest disk: 128 MiB raw, MBR, one FAT16 partition booted by syslinux.

Built without root and without mounting anything: ``sfdisk`` on the image file,
``mkfs.fat --offset``, ``syslinux --offset`` and ``mcopy``. :func:`guest_image` keeps one
built copy per content hash in the cache, safe when several processes ask at once.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from pathlib import Path

from filelock import FileLock

from mikrodock import paths
from mikrodock.errors import ImageError
from mikrodock.testing.guest.initramfs import build_initramfs
from mikrodock.testing.guest.kernel import extract_kernel, fetch_kernel_deb

__all__ = [
    "DEFAULT_VERSION",
    "DISK_SIZE",
    "PARTITION_START",
    "build_guest",
    "guest_cache_dir",
    "guest_image",
]

DEFAULT_VERSION = "7.22.3"
DISK_SIZE = 128 * 1024 * 1024
SECTOR = 512
PARTITION_START = 2048  # sectors: the partition begins at 1 MiB
MBR_CODE = Path("/usr/lib/syslinux/mbr/mbr.bin")

_TOOLS = {
    "sfdisk": "fdisk",
    "mkfs.fat": "dosfstools",
    "syslinux": "syslinux",
    "mcopy": "mtools",
    "dpkg-deb": "dpkg",
}


def _syslinux_cfg(version: str) -> str:
    append = f"initrd=initrd.gz console=ttyS0,115200 quiet mikrodock.version={version}"
    return f"DEFAULT guest\nPROMPT 0\nTIMEOUT 0\nLABEL guest\n  KERNEL vmlinuz\n  APPEND {append}\n"


def _run(argv: list[str]) -> None:
    env = {**os.environ, "MTOOLS_SKIP_CHECK": "1", "LC_ALL": "C"}
    try:
        done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    except FileNotFoundError as exc:
        package = _TOOLS.get(argv[0], argv[0])
        raise ImageError(f"{argv[0]} is not installed", hint=f"apt-get install {package}") from exc
    if done.returncode != 0:
        tail = " / ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        raise ImageError(
            f"{argv[0]} failed while building the test guest (exit {done.returncode}): {tail}"
        )


def _check_version(version: str) -> None:
    if not version or any(c.isspace() for c in version) or len(version) > 32:
        raise ImageError(
            f"bad RouterOS version for the test guest: {version!r}", hint="use e.g. 7.22.3"
        )


def build_guest(out: Path, *, version: str = DEFAULT_VERSION, cache: Path | None = None) -> Path:
    """Write the test guest disk to ``out`` (atomically) and return ``out``.

    ``version`` is what the guest reports as its RouterOS version. ``cache`` holds the
    downloaded kernel package (default: ``cache_dir()/test-guest``).
    """
    _check_version(version)
    if not MBR_CODE.is_file():
        raise ImageError(f"{MBR_CODE} is missing", hint="apt-get install syslinux-common")
    cache = cache if cache is not None else guest_cache_dir()
    kernel = extract_kernel(fetch_kernel_deb(cache / "debs"))
    initrd = build_initramfs(kernel)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    offset = PARTITION_START * SECTOR
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    temp = Path(name)
    try:
        with temp.open("r+b") as disk:
            disk.truncate(DISK_SIZE)
            disk.write(MBR_CODE.read_bytes()[:440])
        layout = f"label: dos\nstart={PARTITION_START}, type=6, bootable\n"
        done = subprocess.run(
            ["sfdisk", "--no-reread", "--no-tell-kernel", "-q", str(temp)],
            input=layout,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise ImageError(f"sfdisk failed: {done.stderr.strip()}", hint="apt-get install fdisk")
        blocks = (DISK_SIZE - offset) // 1024
        _run(["mkfs.fat", "-F", "16", "-n", "MIKRODOCK", "-i", "4d494b52",
              f"--offset={PARTITION_START}", str(temp), str(blocks)])  # fmt: skip
        _run(["syslinux", "--install", f"--offset={offset}", str(temp)])
        image = f"{temp}@@{offset}"
        with tempfile.TemporaryDirectory(prefix="mikrodock-guest-") as tmp:
            files = {
                "vmlinuz": kernel.vmlinuz,
                "initrd.gz": initrd,
                "syslinux.cfg": _syslinux_cfg(version).encode(),
            }
            for file_name, data in files.items():
                (Path(tmp) / file_name).write_bytes(data)
            _run(["mcopy", "-o", "-i", image, *(str(Path(tmp) / n) for n in files), "::"])
        temp.chmod(0o644)
        os.replace(temp, out)
    finally:
        temp.unlink(missing_ok=True)
    return out


def guest_cache_dir() -> Path:
    """Where built guests and the kernel package are kept."""
    path = paths.cache_dir() / "test-guest"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _content_hash(version: str) -> str:
    """Changes when anything that shapes the image changes: this package's code, the version."""
    digest = hashlib.sha256(version.encode() + b"\0")
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()[:16]


def guest_image(version: str = DEFAULT_VERSION, *, cache: Path | None = None) -> Path:
    """The cached test guest for ``version``, built on first use (one build even when several
    processes ask at once). ``cache`` defaults to ``cache_dir()/test-guest``.

    Never boot this file directly (the guest writes to its disk): boot a qcow2 overlay on it,
    or a copy."""
    _check_version(version)
    cache = cache if cache is not None else guest_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"{_content_hash(version)}.img"
    if target.is_file():
        return target
    with FileLock(str(target) + ".lock"):
        if not target.is_file():
            build_guest(target, version=version, cache=cache)
    return target
