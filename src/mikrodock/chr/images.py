"""The CHR image cache: pulled or imported raw disk images, stored by version and sha256.

Layout: ``cache_dir()/chr/<arch>/<version>/`` holds ``chr.img`` (raw, never written after it is
stored; machines run on qcow2 overlays over it) and ``image.json`` (version, arch, sha256, size,
source). A new image is assembled in a staging folder beside it and renamed into place only
after the zip, the partition table and any published checksum check out.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
import time
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import filelock

from mikrodock.chr.download import (
    Progress,
    download_url,
    download_with_resume,
    fetch_published_sha256,
    resolve_version,
    zip_name,
)
from mikrodock.errors import ImageError, UsageError
from mikrodock.paths import atomic_write, cache_dir

__all__ = [
    "ImageInfo",
    "find_image",
    "import_image",
    "list_images",
    "pull",
    "remove_image",
    "sha256_file",
    "verify_disk",
]

_LOCAL_FORMATS = (".img", ".img.zip", ".zip", ".vmdk", ".vdi", ".qcow2", ".raw")


@dataclass(frozen=True)
class ImageInfo:
    """One cached CHR image."""

    version: str
    arch: str
    sha256: str
    size: int
    source: str
    path: str
    published_sha256: str = ""
    stored_at: float = 0.0

    @property
    def disk(self) -> Path:
        return Path(self.path)


def _root() -> Path:
    root = cache_dir() / "chr"
    root.mkdir(parents=True, exist_ok=True)
    return root


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_disk(path: Path) -> None:
    """A raw disk with a partition table (MBR signature; CHR's hybrid GPT has one too)."""
    try:
        with open(path, "rb") as handle:
            sector = handle.read(512)
            size = handle.seek(0, 2)
    except OSError as exc:
        raise ImageError(f"cannot read {path}: {exc}") from exc
    if len(sector) < 512 or sector[510:512] != b"\x55\xaa" or size < 1 << 20:
        raise ImageError(
            f"{path.name} is not a bootable disk image (no partition table)",
            hint="the file is corrupt or not a CHR image; pull it again or check --image",
        )


MAX_IMAGE_BYTES = 1 << 30
"""The largest disk a CHR zip may unpack to (CHR images are 64-128 MiB): zip bombs stop here."""


def _extract_zip(archive: Path, out: Path) -> None:
    """Unpack the one ``.img`` of a CHR zip, refusing one that would unpack past the cap.

    The size the zip declares is checked first, and the bytes written are counted while
    streaming (the declared size can lie); the member's CRC is checked as it is read.
    """
    limit = MAX_IMAGE_BYTES
    too_big = ImageError(
        f"{archive.name} unpacks to more than {limit} bytes, far more than a CHR image",
        hint="this is not a CHR image zip; download it again from MikroTik",
    )
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = [m for m in bundle.infolist() if m.filename.endswith(".img")]
            if len(members) != 1:
                raise ImageError(f"{archive.name} holds {len(members)} .img files, expected one")
            if members[0].file_size > limit:
                raise too_big
            written = 0
            with bundle.open(members[0]) as source, open(out, "wb") as target:
                while block := source.read(1 << 20):
                    written += len(block)
                    if written > limit:
                        raise too_big
                    target.write(block)
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as exc:
        out.unlink(missing_ok=True)
        raise ImageError(
            f"{archive.name} is not a valid zip: {exc}",
            hint="the download is corrupt; run the pull again",
        ) from exc
    except ImageError:
        out.unlink(missing_ok=True)
        raise


def _folder(arch: str, version: str) -> Path:
    return _root() / arch / version


def find_image(version: str, arch: str = "x86_64") -> ImageInfo | None:
    meta = _folder(arch, version) / "image.json"
    try:
        info = ImageInfo(**json.loads(meta.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    return info if info.disk.exists() else None


def _store(staged_img: Path, version: str, arch: str, source: str, published: str) -> ImageInfo:
    verify_disk(staged_img)
    digest = sha256_file(staged_img)
    final = _folder(arch, version)
    final.parent.mkdir(parents=True, exist_ok=True)
    holder = staged_img.parent
    info = ImageInfo(
        version=version,
        arch=arch,
        sha256=digest,
        size=staged_img.stat().st_size,
        source=source,
        path=str(final / "chr.img"),
        published_sha256=published,
        stored_at=time.time(),
    )
    staged_img.chmod(0o444)
    atomic_write(holder / "image.json", json.dumps(asdict(info), indent=2) + "\n")
    if final.exists():
        shutil.rmtree(final)
    holder.rename(final)
    return info


def _lock(arch: str, version: str) -> filelock.FileLock:
    return filelock.FileLock(str(_root() / f".{arch}-{version}.lock"))


def pull(reference: str, arch: str = "x86_64", progress: Progress | None = None) -> ImageInfo:
    """Make the image for a version or channel available in the cache; reuse a cached one."""
    if arch not in ("x86_64", "aarch64"):
        raise UsageError(f"unknown architecture {arch!r}", hint="use --arch x86_64 or aarch64")
    version = resolve_version(reference)
    cached = find_image(version, arch)
    if cached:
        return cached
    with _lock(arch, version).acquire(timeout=3600):
        cached = find_image(version, arch)
        if cached:
            return cached
        name = zip_name(version, arch)
        url = f"{download_url()}/{version}/{name}"
        part = _root() / f".{name}.part"
        download_with_resume(url, part, progress)
        try:
            published = fetch_published_sha256(version, name) or ""
            if published and sha256_file(part) != published:
                raise ImageError(
                    f"{name} does not match the sha256 MikroTik publishes",
                    hint="the download is corrupt; run the pull again",
                )
            holder = Path(tempfile.mkdtemp(prefix=".new-", dir=_root()))
            try:
                _extract_zip(part, holder / "chr.img")
                return _store(holder / "chr.img", version, arch, url, published)
            finally:
                shutil.rmtree(holder, ignore_errors=True)
        finally:
            part.unlink(missing_ok=True)


def _convert(source: Path, out: Path) -> None:
    qemu_img = shutil.which("qemu-img")
    if qemu_img is None:
        raise ImageError("qemu-img is missing", hint="install the Debian package qemu-utils")
    result = subprocess.run(
        [qemu_img, "convert", "-O", "raw", str(source), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ImageError(
            f"qemu-img cannot read {source.name}: {result.stderr.strip().splitlines()[-1:]}",
            hint="give a CHR .img, .img.zip, .vmdk, .vdi or .qcow2",
        )


def import_image(path: Path, arch: str = "x86_64") -> ImageInfo:
    """Add a local CHR image (any of .img, .img.zip, .vmdk, .vdi, .qcow2) to the cache."""
    path = path.expanduser()
    if not path.is_file():
        raise UsageError(f"no such image file {path}", hint="check the --image path")
    if not path.name.lower().endswith(_LOCAL_FORMATS):
        raise UsageError(
            f"unsupported image format {path.name}",
            hint="give a .img, .img.zip, .vmdk, .vdi or .qcow2 file",
        )
    known = _imported(path, arch)
    if known:
        return known
    holder = Path(tempfile.mkdtemp(prefix=".new-", dir=_root()))
    try:
        image = holder / "chr.img"
        lower = path.name.lower()
        if lower.endswith(".zip"):
            _extract_zip(path, image)
        elif lower.endswith((".img", ".raw")):
            shutil.copyfile(path, image)
        else:
            _convert(path, image)
        verify_disk(image)
        version = f"local-{sha256_file(image)[:12]}"
        with _lock(arch, version).acquire(timeout=600):
            info = find_image(version, arch) or _store(image, version, arch, str(path), "")
        _remember(path, arch, info.version)
        return info
    finally:
        shutil.rmtree(holder, ignore_errors=True)


def _import_key(path: Path, arch: str) -> str:
    stat = path.stat()
    return f"{arch}:{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


def _index() -> dict[str, str]:
    try:
        data = json.loads((_root() / "imports.json").read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _imported(path: Path, arch: str) -> ImageInfo | None:
    """A file imported before and unchanged since (same path, size and mtime): no re-hash."""
    version = _index().get(_import_key(path, arch))
    return find_image(version, arch) if version else None


def _remember(path: Path, arch: str, version: str) -> None:
    with filelock.FileLock(str(_root() / ".imports.lock")):
        index = _index()
        index[_import_key(path, arch)] = version
        atomic_write(_root() / "imports.json", json.dumps(index, indent=1) + "\n")


def list_images() -> list[ImageInfo]:
    found: list[ImageInfo] = []
    for meta in sorted(_root().glob("*/*/image.json")):
        info = find_image(meta.parent.name, meta.parent.parent.name)
        if info:
            found.append(info)
    return found


def remove_image(version: str, arch: str, in_use: set[str]) -> ImageInfo:
    """Remove a cached image no machine uses (``in_use`` holds the base paths machines use)."""
    info = find_image(version, arch)
    if info is None:
        raise UsageError(f"no cached {arch} image {version}", hint="see `mikrodock chr images`")
    if info.path in in_use:
        raise UsageError(
            f"image {version} is used by a machine", hint="remove its machines first (chr rm)"
        )
    shutil.rmtree(_folder(arch, version))
    return info
