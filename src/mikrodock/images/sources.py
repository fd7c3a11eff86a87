"""Images from files (``--from-archive``): docker/podman save archives and OCI layouts.

Accepted:

- an OCI layout folder (``oci-layout``, ``index.json``, ``blobs/``), as ``skopeo copy oci:`` or
  ``umoci`` make;
- an OCI archive (the same, as a tar: ``podman save --format oci-archive``, docker 25+ save);
- a Docker v1 archive (``manifest.json``: ``docker save``, ``podman save``), several images in one
  archive included.

An archive with several images or platforms gives the one for the wanted platform (or, with
``name``, the one tagged so). Every blob read is checked against its digest.
"""

from __future__ import annotations

import contextlib
import io
import json
import posixpath
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from mikrodock.errors import ImageError, UsageError
from mikrodock.images.entries import escapes_root
from mikrodock.images.layers import LayerSource
from mikrodock.images.manifest import (
    Descriptor,
    check_digest,
    choose_platform,
    parse_document,
)
from mikrodock.images.platforms import Platform, select

__all__ = ["ArchiveFiles", "SourceImage", "open_source"]

_REF_NAME = "org.opencontainers.image.ref.name"
_IMAGE_NAME = "io.containerd.image.name"


@dataclass(frozen=True)
class SourceImage:
    """One image ready to flatten: its config, its layers and the names it carries."""

    config: dict[str, Any]
    layers: tuple[LayerSource, ...]
    names: tuple[str, ...]
    platform: Platform
    origin: str


class _Slice(io.RawIOBase):
    """A read-only window ``[start, start + size)`` of a file."""

    def __init__(self, path: Path, start: int, size: int) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 - closed in close()
        self._start, self._size, self._pos = start, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, min(self._size, base + offset))
        return self._pos

    def tell(self) -> int:
        return self._pos

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), self._size - self._pos)
        if want <= 0:
            return 0
        self._file.seek(self._start + self._pos)
        got = self._file.readinto(memoryview(buffer)[:want])
        self._pos += got or 0
        return got or 0

    def close(self) -> None:
        self._file.close()
        super().close()


class ArchiveFiles:
    """Named files in a folder or a tar archive."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._members: dict[str, tuple[int, int]] | None = None
        if path.is_file():
            self._members = self._scan(path)

    @staticmethod
    def _scan(path: Path) -> dict[str, tuple[int, int]]:
        members: dict[str, tuple[int, int]] = {}
        links: dict[str, str] = {}
        try:
            with tarfile.open(path, "r:") as tar:
                for info in tar:
                    name = posixpath.normpath(info.name.lstrip("/"))
                    if info.isreg():
                        members[name] = (info.offset_data, info.size)
                    elif info.issym():
                        target = posixpath.join(posixpath.dirname(name), info.linkname)
                        links[name] = posixpath.normpath(target)
                    elif info.islnk():
                        links[name] = posixpath.normpath(info.linkname.lstrip("/"))
        except (tarfile.TarError, OSError) as exc:
            raise UsageError(
                f"{path} is not an image archive (not an uncompressed tar: {exc})",
                hint="give a docker save / podman save archive (gunzip it first) or an OCI layout",
            ) from exc
        for name, target in links.items():
            if target in members:
                members[name] = members[target]
        return members

    def check_name(self, name: object) -> str:
        """``name`` if it stays inside the archive (or folder); an :class:`ImageError` if not.

        A ``manifest.json`` or ``index.json`` names files inside the archive; a name that is
        absolute, climbs out with ``..``, or (in a folder) resolves through a symlink to a
        file outside is refused rather than read.
        """
        if not isinstance(name, str) or not name:
            raise ImageError(f"{self.path}: a file name in the manifest is not text")
        if name.startswith("/") or escapes_root(name):
            raise ImageError(
                f"{self.path}: the manifest names {name!r}, outside the archive",
                hint="the archive is broken or made to read other files; save the image again",
            )
        if self._members is None:
            root = self.path.resolve()
            if not (self.path / name).resolve().is_relative_to(root):
                raise ImageError(
                    f"{self.path}: {name!r} leads outside the folder (a symlink?)",
                    hint="copy the files into the folder instead of linking them",
                )
        return name

    def exists(self, name: str) -> bool:
        self.check_name(name)
        if self._members is None:
            return (self.path / name).is_file()
        return posixpath.normpath(name) in self._members

    @contextlib.contextmanager
    def open(self, name: str) -> Iterator[BinaryIO]:
        self.check_name(name)
        name = posixpath.normpath(name) if self._members is not None else name
        if self._members is None:
            try:
                handle: BinaryIO = open(self.path / name, "rb")  # noqa: SIM115
            except OSError as exc:
                raise ImageError(f"{self.path}: cannot open {name}: {exc.strerror}") from exc
        else:
            if name not in self._members:
                raise ImageError(f"{self.path}: {name} is missing", hint="the archive is broken")
            start, size = self._members[name]
            handle = io.BufferedReader(_Slice(self.path, start, size), 1 << 16)
        with handle:
            yield handle

    def read(self, name: str) -> bytes:
        with self.open(name) as handle:
            return handle.read()

    def opener(self, name: str) -> Callable[[], contextlib.AbstractContextManager[BinaryIO]]:
        return lambda: self.open(name)


def _blob_name(digest: str) -> str:
    algorithm, _, value = digest.partition(":")
    return f"blobs/{algorithm}/{value}"


def _json(raw: bytes, where: str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ImageError(f"{where} is not valid JSON", hint="the archive is broken") from exc


def _oci_image(files: ArchiveFiles, platform: Platform, name: str | None) -> SourceImage:
    where = str(files.path)
    index = parse_document(files.read("index.json"), "", "", f"{where} index.json")
    if not isinstance(index, list):
        raise ImageError(f"{where}: index.json is not an index", hint="the layout is broken")
    entries = index
    if name is not None:
        entries = [item for item in index if name in _names(item)]
        if not entries:
            there = ", ".join(sorted({n for item in index for n in _names(item)})) or "none"
            raise UsageError(f"{where} has no image named {name} (it has: {there})")
    chosen = entries[0] if len(entries) == 1 and entries[0].platform is None else None
    while True:
        if chosen is None:
            chosen = _pick(entries, platform, where)
        raw = files.read(_blob_name(chosen.digest))
        check_digest(raw, chosen.digest, f"{where} manifest {chosen.digest}")
        document = parse_document(raw, chosen.digest, chosen.media_type, where)
        if isinstance(document, list):
            entries, chosen = document, None
            continue
        break
    config_raw = files.read(_blob_name(document.config.digest))
    check_digest(config_raw, document.config.digest, f"{where} config")
    config = _json(config_raw, f"{where} config")
    layers = _layers(files, config, document.layers, where)
    names = tuple(n for item in index for n in _names(item))
    return SourceImage(config, layers, names, Platform.from_json(config), where)


def _names(entry: Descriptor) -> list[str]:
    notes = entry.annotations or {}
    return [notes[key] for key in (_IMAGE_NAME, _REF_NAME) if key in notes]


def _pick(entries: list[Descriptor], platform: Platform, where: str) -> Descriptor:
    if all(entry.platform is None for entry in entries) and len(entries) == 1:
        return entries[0]
    return choose_platform(entries, platform, where)


def _layers(
    files: ArchiveFiles, config: Any, layers: tuple[Descriptor, ...], where: str
) -> tuple[LayerSource, ...]:
    diff_ids = (config.get("rootfs") or {}).get("diff_ids") or []
    if len(diff_ids) != len(layers):
        raise ImageError(f"{where}: config and manifest disagree on the layers", hint="broken")
    return tuple(
        LayerSource(
            files.opener(_blob_name(layer.digest)),
            f"{where} layer {number + 1}",
            diff_id=diff_ids[number],
            digest=layer.digest,
        )
        for number, layer in enumerate(layers)
    )


def _docker_image(files: ArchiveFiles, platform: Platform, name: str | None) -> SourceImage:
    where = str(files.path)
    manifest = _json(files.read("manifest.json"), f"{where} manifest.json")
    if not isinstance(manifest, list) or not manifest:
        raise ImageError(f"{where}: manifest.json lists no image", hint="the archive is broken")
    for item in manifest:
        well_formed = (
            isinstance(item, dict)
            and isinstance(item.get("Config"), str)
            and isinstance(item.get("Layers") or [], list)
            and isinstance(item.get("RepoTags") or [], list)
        )
        if not well_formed:
            raise ImageError(
                f"{where}: manifest.json is not a docker save manifest",
                hint="save the image again",
            )
        for member in [item["Config"], *(item.get("Layers") or [])]:
            files.check_name(member)
    if name is not None:
        manifest = [item for item in manifest if name in (item.get("RepoTags") or [])]
        if not manifest:
            raise UsageError(f"{where} has no image tagged {name}")
    configs = []
    for item in manifest:
        raw = files.read(item["Config"])
        stem = posixpath.basename(item["Config"]).removesuffix(".json")
        if len(stem) == 64:
            check_digest(raw, f"sha256:{stem}", f"{where} config")
        configs.append(_json(raw, f"{where} config"))
    platforms = [Platform.from_json(config) for config in configs]
    index = 0 if len(manifest) == 1 else select(platform, platforms)
    if index is None:
        there = ", ".join(sorted({str(p) for p in platforms}))
        raise ImageError(
            f"{where} has no image for {platform} (it has: {there})",
            hint="pick one of those with --platform",
        )
    item, config = manifest[index], configs[index]
    diff_ids = (config.get("rootfs") or {}).get("diff_ids") or []
    paths = item.get("Layers") or []
    if len(diff_ids) != len(paths):
        raise ImageError(f"{where}: config and manifest disagree on the layers", hint="broken")
    layers = tuple(
        LayerSource(files.opener(path), f"{where} layer {n + 1}", diff_id=diff_ids[n])
        for n, path in enumerate(paths)
    )
    return SourceImage(config, layers, tuple(item.get("RepoTags") or ()), platforms[index], where)


def _check_platform(image: SourceImage, wanted: Platform) -> SourceImage:
    found = image.platform
    if found.architecture and select(wanted, [found]) is None:
        same_arch = found.architecture == wanted.architecture and found.variant is None
        if not same_arch:
            raise ImageError(
                f"{image.origin} holds an image for {found}, not {wanted}",
                hint="use an image built for the router's architecture",
            )
    return image


def open_source(path: Path, platform: Platform, name: str | None = None) -> SourceImage:
    """The image for ``platform`` in the archive or layout at ``path``."""
    return _check_platform(_open_source(path, platform, name), platform)


def _open_source(path: Path, platform: Platform, name: str | None) -> SourceImage:
    if not path.exists():
        raise UsageError(f"{path} does not exist", hint="give an image archive or OCI layout")
    files = ArchiveFiles(path)
    oci = files.exists("index.json") and (files.exists("oci-layout") or path.is_file())
    if oci and not (files.exists("manifest.json") and name is not None):
        return _oci_image(files, platform, name)
    if files.exists("manifest.json"):
        return _docker_image(files, platform, name)
    raise UsageError(
        f"{path} is neither a docker save archive nor an OCI layout",
        hint="expected manifest.json, or oci-layout with index.json",
    )
