"""The test guest's kernel: a Debian cloud kernel package, its vmlinuz and a few modules.

The package comes from ``apt-get download`` (kept in a cache folder, so it is fetched once), or
from the file named by ``MIKRODOCK_GUEST_KERNEL_DEB``. Modules are picked with their
dependencies (read from each module's ``.modinfo`` section) and returned in load order,
decompressed when the package ships them as ``.ko.xz`` or ``.ko.zst``.
"""

from __future__ import annotations

import lzma
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mikrodock.errors import ImageError

__all__ = ["KERNEL_DEB_ENV", "WANTED_MODULES", "GuestKernel", "extract_kernel", "fetch_kernel_deb"]

KERNEL_DEB_ENV = "MIKRODOCK_GUEST_KERNEL_DEB"
META_PACKAGE = "linux-image-cloud-amd64"

# What the guest needs: virtio disk and network, the ACPI power button as an input event
# device, and FAT to keep its state on the boot partition. Dependencies come along by themselves.
WANTED_MODULES = (
    "virtio",
    "virtio_ring",
    "virtio_pci_legacy_dev",
    "virtio_pci_modern_dev",
    "virtio_pci",
    "virtio_blk",
    "failover",
    "net_failover",
    "virtio_net",
    "button",
    "evdev",
    "fat",
    "vfat",
    "nls_cp437",
    "nls_ascii",
    "nls_utf8",
    "nls_iso8859_1",
)

_SUFFIXES = (".ko", ".ko.xz", ".ko.zst")
_DEB_GLOB = "linux-image-*-cloud-amd64_*_amd64.deb"


@dataclass(frozen=True)
class GuestKernel:
    """A kernel image and its modules as (name, uncompressed bytes) in load order."""

    release: str
    vmlinuz: bytes
    modules: tuple[tuple[str, bytes], ...]


def _run(argv: list[str], *, cwd: Path | None = None) -> str:
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise ImageError(
            f"{argv[0]} is not installed", hint="install the Debian package that provides it"
        ) from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise ImageError(
            f"{' '.join(argv)} failed (exit {done.returncode}): {' / '.join(tail)}",
            hint="check the apt sources and network, or set "
            f"{KERNEL_DEB_ENV}=/path/to/linux-image-*-cloud-amd64.deb",
        )
    return done.stdout


def _kernel_package() -> str:
    """The versioned kernel package that linux-image-cloud-amd64 currently depends on."""
    out = _run(["apt-cache", "depends", META_PACKAGE])
    for line in out.splitlines():
        match = re.match(r"\s*Depends:\s*(linux-image-\S+-cloud-amd64)\s*$", line)
        if match:
            return match.group(1)
    raise ImageError(
        f"apt does not know {META_PACKAGE}",
        hint=f"use Debian apt sources and run apt-get update, or set {KERNEL_DEB_ENV}",
    )


def fetch_kernel_deb(cache: Path) -> Path:
    """A Debian cloud kernel package: the env override, a cached one, or a fresh download."""
    override = os.environ.get(KERNEL_DEB_ENV)
    if override:
        path = Path(override).expanduser()
        if not path.is_file():
            raise ImageError(
                f"{KERNEL_DEB_ENV} names {path}, which is not a file",
                hint="point it at a linux-image-*-cloud-amd64 .deb or unset it",
            )
        return path
    cache.mkdir(parents=True, exist_ok=True)
    cached = sorted(cache.glob(_DEB_GLOB))
    if cached:
        return cached[-1]
    package = _kernel_package()
    with tempfile.TemporaryDirectory(dir=cache, prefix=".download.") as tmp:
        # Let apt's sandbox user write the file (it warns and falls back to root otherwise).
        os.chmod(tmp, 0o777)
        _run(["apt-get", "download", "-q", package], cwd=Path(tmp))
        debs = sorted(Path(tmp).glob(_DEB_GLOB))
        if not debs:
            raise ImageError(f"apt-get download {package} left no .deb", hint="retry")
        target = cache / debs[-1].name
        os.replace(debs[-1], target)
        target.chmod(0o644)
    return target


def _module_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if path.name.endswith(".xz"):
        return lzma.decompress(data)
    if path.name.endswith(".zst"):
        if shutil.which("zstd") is None:
            raise ImageError(
                f"{path.name} is zstd-compressed and zstd is not installed",
                hint="apt-get install zstd",
            )
        return subprocess.run(
            ["zstd", "-d", "-c", "-q"], input=data, capture_output=True, check=True
        ).stdout
    return data


def _module_name(path: Path) -> str:
    name = path.name
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name.replace("-", "_")


def _depends(data: bytes) -> list[str]:
    match = re.search(rb"(?:^|\0)depends=([^\0]*)\0", data)
    if not match or not match.group(1):
        return []
    return [dep.decode().replace("-", "_") for dep in match.group(1).split(b",")]


def _load_order(index: dict[str, Path], wanted: tuple[str, ...]) -> list[tuple[str, bytes]]:
    ordered: list[tuple[str, bytes]] = []
    seen: set[str] = set()

    def visit(name: str, chain: tuple[str, ...]) -> None:
        if name in seen:
            return
        if name in chain:
            raise ImageError(f"module dependency loop: {' -> '.join((*chain, name))}")
        path = index.get(name)
        if path is None:
            # Built into this kernel (or absent): nothing to load.
            return
        data = _module_bytes(path)
        for dep in _depends(data):
            visit(dep, (*chain, name))
        seen.add(name)
        ordered.append((name, data))

    for name in wanted:
        visit(name, ())
    return ordered


def extract_kernel(deb: Path, wanted: tuple[str, ...] = WANTED_MODULES) -> GuestKernel:
    """vmlinuz and the wanted modules (with dependencies, in load order) from a kernel .deb."""
    with tempfile.TemporaryDirectory(prefix="mikrodock-kernel-") as tmp:
        root = Path(tmp)
        _run(["dpkg-deb", "-x", str(deb), str(root)])
        images = sorted((root / "boot").glob("vmlinuz-*"))
        if not images:
            raise ImageError(f"{deb.name} holds no /boot/vmlinuz-*", hint="use a kernel package")
        release = images[-1].name.removeprefix("vmlinuz-")
        module_root = root / "lib/modules" / release
        if not module_root.is_dir():
            module_root = root / "usr/lib/modules" / release
        index = {
            _module_name(path): path
            for path in sorted(module_root.rglob("*.ko*"))
            if path.name.endswith(_SUFFIXES)
        }
        missing = [name for name in ("virtio_blk", "virtio_net") if name not in index]
        if missing:
            raise ImageError(
                f"{deb.name} has no module {', '.join(missing)}",
                hint="use a Debian cloud kernel package (linux-image-*-cloud-amd64)",
            )
        return GuestKernel(
            release=release,
            vmlinuz=images[-1].read_bytes(),
            modules=tuple(_load_order(index, wanted)),
        )
