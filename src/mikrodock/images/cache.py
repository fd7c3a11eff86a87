"""Blobs kept on disk by digest (``cache_dir()/blobs/sha256/<hex>``).

A blob enters the cache only whole and verified: it is written to a temporary file beside its
final name, hashed while written, and renamed into place when the digest matches.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from mikrodock.errors import ImageError
from mikrodock.images.manifest import Digester
from mikrodock.paths import cache_dir

__all__ = ["BlobCache", "BlobWriter", "disk_error"]


def disk_error(path: Path, exc: OSError) -> ImageError:
    """An OSError while writing, as one line with a fix."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return ImageError(
            f"disk full while writing {path}", hint="free some space or write somewhere else"
        )
    return ImageError(f"cannot write {path}: {exc.strerror or exc}", hint="check the path")


class BlobWriter:
    """A temporary file that becomes a cached blob when :meth:`commit` verifies it."""

    def __init__(self, handle: BinaryIO, temp: Path, final: Path, digest: str) -> None:
        self._handle = handle
        self.temp = temp
        self.final = final
        self.digester = Digester(digest)

    def write(self, data: bytes) -> None:
        self.digester.update(data)
        try:
            self._handle.write(data)
        except OSError as exc:
            raise disk_error(self.final.parent, exc) from exc

    def commit(self, what: str) -> Path:
        try:
            self._handle.close()
        except OSError as exc:
            raise disk_error(self.final.parent, exc) from exc
        self.digester.verify(what)
        os.replace(self.temp, self.final)
        return self.final


class BlobCache:
    """Content-addressed blob files."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or cache_dir() / "blobs"

    def path(self, digest: str) -> Path:
        algorithm, _, value = digest.partition(":")
        return self.root / algorithm / value

    def get(self, digest: str) -> Path | None:
        path = self.path(digest)
        return path if path.is_file() else None

    @contextlib.contextmanager
    def writer(self, digest: str) -> Iterator[BlobWriter]:
        """Yield a writer; the blob is kept only if ``commit`` ran and matched."""
        final = self.path(digest)
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=".partial-", dir=final.parent)
        except OSError as exc:
            raise disk_error(final.parent, exc) from exc
        temp = Path(name)
        try:
            with os.fdopen(fd, "wb") as handle:
                yield BlobWriter(handle, temp, final, digest)
        finally:
            temp.unlink(missing_ok=True)
