"""The image archive RouterOS imports: Docker v1 ``docker save`` layout with one plain layer.

::

    layer.tar         the flattened filesystem, uncompressed
    <sha256>.json     the image config: rootfs with that one diff id, one history entry;
                      env, entrypoint, cmd, workdir, user, exposed ports, volumes, labels kept
    manifest.json     [{"Config": "<sha256>.json", "RepoTags": [...], "Layers": ["layer.tar"]}]

The archive is written to a temporary file beside the target and renamed into place only when
complete, so a failure (a corrupt blob, a full disk, Ctrl-C) leaves no partial file. The layer is
streamed straight into the archive: its header is written last, once its size is known.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from mikrodock.errors import ImageError
from mikrodock.images.cache import disk_error
from mikrodock.images.flatten import FlattenStats, flatten_layers
from mikrodock.images.layers import LayerSource
from mikrodock.images.progress import ByteProgress

__all__ = ["KEPT_CONFIG", "SavedArchive", "routeros_config", "write_archive"]

KEPT_CONFIG = (
    "User",
    "ExposedPorts",
    "Env",
    "Entrypoint",
    "Cmd",
    "Volumes",
    "WorkingDir",
    "Labels",
    "StopSignal",
    "Shell",
)
"""Keys of the image's run config that survive conversion."""

_TOP_KEPT = ("architecture", "os", "variant", "os.version", "author")
_BLOCK = 512


@dataclass(frozen=True)
class SavedArchive:
    """What :func:`write_archive` wrote."""

    path: Path
    size: int
    layer_size: int
    diff_id: str
    config_name: str
    stats: FlattenStats


def routeros_config(
    config: Mapping[str, Any], diff_id: str, layer_count: int, source: str
) -> dict[str, Any]:
    """The image config for the one-layer image made from ``config``."""
    out: dict[str, Any] = {key: config[key] for key in _TOP_KEPT if key in config}
    created = config.get("created") or dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
    out["created"] = created
    run = config.get("config")
    out["config"] = (
        {key: run[key] for key in KEPT_CONFIG if run.get(key) is not None}
        if isinstance(run, dict)
        else {}
    )
    out["rootfs"] = {"type": "layers", "diff_ids": [diff_id]}
    out["history"] = [
        {
            "created": created,
            "created_by": f"mikrodock: {layer_count} layer(s) of {source} flattened into one",
        }
    ]
    return out


class _HashingWriter:
    def __init__(self, handle: BinaryIO, where: Path) -> None:
        self._handle = handle
        self._where = where
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self._hash.update(data)
        self.size += len(data)
        try:
            return self._handle.write(data)
        except OSError as exc:
            raise disk_error(self._where, exc) from exc

    def tell(self) -> int:
        return self.size

    @property
    def digest(self) -> str:
        return "sha256:" + self._hash.hexdigest()


def _member(name: str, data: bytes, mtime: float) -> tuple[tarfile.TarInfo, io.BytesIO]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    info.mtime = int(mtime)
    return info, io.BytesIO(data)


def _write(
    handle: BinaryIO,
    where: Path,
    config: Mapping[str, Any],
    layers: Sequence[LayerSource],
    repo_tags: Sequence[str],
    source: str,
    progress: ByteProgress | None,
    allow_devices: bool,
) -> tuple[int, str, str, FlattenStats]:
    now = dt.datetime.now(dt.UTC).timestamp()
    handle.write(b"\0" * _BLOCK)  # the layer.tar header, written once the size is known
    writer = _HashingWriter(handle, where)
    stats = flatten_layers(layers, writer, progress, allow_devices=allow_devices)  # type: ignore[arg-type]
    layer_size, diff_id = writer.size, writer.digest
    handle.write(b"\0" * (-layer_size % _BLOCK))
    config_bytes = json.dumps(
        routeros_config(config, diff_id, len(layers), source), separators=(",", ":")
    ).encode()
    config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
    manifest = [{"Config": config_name, "RepoTags": list(repo_tags), "Layers": ["layer.tar"]}]
    with tarfile.open(fileobj=handle, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        tar.addfile(*_member(config_name, config_bytes, now))
        tar.addfile(*_member("manifest.json", json.dumps(manifest).encode(), now))
    header = tarfile.TarInfo("layer.tar")
    header.size = layer_size
    header.mode = 0o644
    header.mtime = int(now)
    try:
        raw = header.tobuf(tarfile.USTAR_FORMAT)
    except ValueError as exc:
        raise ImageError(
            f"the flattened layer is too large ({layer_size} bytes)", hint="use a smaller image"
        ) from exc
    handle.seek(0)
    handle.write(raw)
    return layer_size, diff_id, config_name, stats


def write_archive(
    path: Path,
    config: Mapping[str, Any],
    layers: Sequence[LayerSource],
    *,
    repo_tags: Sequence[str] = (),
    source: str = "the image",
    progress: ByteProgress | None = None,
    allow_devices: bool = False,
) -> SavedArchive:
    """Flatten ``layers`` and write the RouterOS archive to ``path`` (all or nothing)."""
    path = path.expanduser()
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ImageError(f"folder {folder} does not exist", hint="create it or pick another -o")
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=folder)
    except OSError as exc:
        raise disk_error(path, exc) from exc
    temp = Path(name)
    try:
        with os.fdopen(fd, "w+b") as handle:
            layer_size, diff_id, config_name, stats = _write(
                handle, path, config, layers, repo_tags, source, progress, allow_devices
            )
            handle.flush()
            os.fsync(handle.fileno())
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except OSError as exc:
        raise disk_error(path, exc) from exc
    finally:
        temp.unlink(missing_ok=True)
    return SavedArchive(path, size, layer_size, diff_id, config_name, stats)
