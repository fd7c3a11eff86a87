"""Reading layer blobs: where they come from, decompression, and diff-id checking.

A :class:`LayerSource` opens the raw blob (a cached registry blob, a member of a ``docker save``
archive, a file in an OCI layout). :func:`open_layer` sniffs the compression from the first bytes
(gzip or none; zstd is named with a fix) and hashes the uncompressed stream, so the image
config's ``diff_ids`` are checked too.
"""

from __future__ import annotations

import contextlib
import gzip
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import BinaryIO, cast

from mikrodock.errors import ImageError
from mikrodock.images.manifest import Digester

__all__ = ["HashingReader", "LayerSource", "open_layer"]

_GZIP = b"\x1f\x8b"
_ZSTD = b"\x28\xb5\x2f\xfd"


@dataclass(frozen=True)
class LayerSource:
    """One layer: how to open its raw blob, a label for messages, its uncompressed digest."""

    open: Callable[[], AbstractContextManager[BinaryIO]]
    label: str
    diff_id: str | None = None
    digest: str | None = None


class HashingReader:
    """A read-only stream that hashes what passes through it."""

    def __init__(self, inner: BinaryIO, digest: str | None, label: str) -> None:
        self._inner = inner
        self._digester = Digester(digest) if digest else None
        self._label = label

    def read(self, size: int = -1) -> bytes:
        try:
            data = self._inner.read(size)
        except (OSError, EOFError, zlib.error) as exc:
            raise ImageError(
                f"{self._label}: the compressed data is broken ({exc})",
                hint="the blob is corrupt; remove it from the cache and try again",
            ) from exc
        if self._digester is not None:
            self._digester.update(data)
        return data

    def finish(self, what: str = "uncompressed") -> None:
        """Read what is left (tar padding) and check the digest."""
        while self.read(1 << 16):
            pass
        if self._digester is not None:
            self._digester.verify(f"{self._label} ({what})")


@contextlib.contextmanager
def open_layer(source: LayerSource, *, verify: bool = True) -> Iterator[HashingReader]:
    """The uncompressed tar stream of a layer; call ``finish()`` to check the diff id."""
    diff_id = source.diff_id if verify else None
    with source.open() as raw:
        head = raw.read(4)
        raw.seek(0)
        if head.startswith(_ZSTD):
            raise ImageError(
                f"{source.label} is zstd-compressed, which this Python cannot read",
                hint="use the gzip variant of the image (most registries serve one)",
            )
        blob_digest = source.digest if verify else None
        if head.startswith(_GZIP):
            compressed = HashingReader(raw, blob_digest, source.label)
            with gzip.GzipFile(fileobj=cast(BinaryIO, compressed), mode="rb") as stream:
                reader = HashingReader(cast(BinaryIO, stream), diff_id, source.label)
                yield reader
                if verify:
                    compressed.finish("compressed")
        else:
            if blob_digest and blob_digest != diff_id:
                diff_id = blob_digest
            yield HashingReader(raw, diff_id, source.label)
