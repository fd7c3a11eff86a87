"""A lean, streaming tar reader: member names, types and link targets, and the raw header bytes.

Layers can hold hundreds of thousands of files; :mod:`tarfile` builds a full ``TarInfo`` per
member, which costs time and memory the flattener does not need. :class:`TarScanner` reads the
ustar/GNU/PAX headers a layer holds (PAX extended headers, GNU long names and long link names,
base-256 numbers), yields one :class:`Member` per entry as :mod:`tarfile` counts them, and can
copy a member's data (and the raw header blocks, extension headers included) to an output
without decoding anything else. Sparse files (GNU or PAX) are refused: image tools do not make
them.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from typing import Protocol

from mikrodock.errors import ImageError

__all__ = ["Member", "Readable", "TarScanner", "Writable", "parse_pax", "tarinfo_of"]

BLOCK = 512
_ENCODING = "utf-8"
_ERRORS = "surrogateescape"
_COPY = 1 << 20
_HEADER_ONLY = frozenset(
    {
        tarfile.LNKTYPE,
        tarfile.SYMTYPE,
        tarfile.CHRTYPE,
        tarfile.BLKTYPE,
        tarfile.DIRTYPE,
        tarfile.FIFOTYPE,
    }
)


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class Writable(Protocol):
    def write(self, data: bytes, /) -> object: ...


class Member:
    """One tar entry: its name, type flag, link target, data size and raw header bytes."""

    __slots__ = ("linkname", "name", "pax", "raw", "size", "type")

    def __init__(
        self, name: str, kind: bytes, linkname: str, size: int, raw: bytes, pax: dict[str, str]
    ) -> None:
        self.name = name
        self.type = kind
        self.linkname = linkname
        self.size = size
        self.raw = raw
        self.pax = pax

    def isdir(self) -> bool:
        return self.type == tarfile.DIRTYPE

    def islnk(self) -> bool:
        return self.type == tarfile.LNKTYPE


def _text(field: bytes) -> str:
    return field.split(b"\0", 1)[0].decode(_ENCODING, _ERRORS)


def _number(field: bytes, label: str) -> int:
    if field[:1] in (b"\x80", b"\xff"):  # base-256 (GNU)
        value = int.from_bytes(field[1:], "big")
        return value - (1 << (8 * (len(field) - 1))) if field[:1] == b"\xff" else value
    text = field.split(b"\0", 1)[0].strip(b" ")
    try:
        return int(text or b"0", 8)
    except ValueError as exc:
        raise ImageError(f"{label}: a tar header is damaged", hint="the layer is corrupt") from exc


def parse_pax(data: bytes, label: str) -> dict[str, str]:
    """Records ``"<length> <key>=<value>\\n"`` of a PAX extended header."""
    records: dict[str, str] = {}
    pos = 0
    raw: dict[str, bytes] = {}
    while pos < len(data) and data[pos : pos + 1] != b"\0":
        space = data.find(b" ", pos)
        try:
            length = int(data[pos:space])
        except ValueError as exc:
            raise ImageError(f"{label}: a PAX header is damaged", hint="corrupt layer") from exc
        record = data[space + 1 : pos + length - 1]
        keyword, _, value = record.partition(b"=")
        raw[keyword.decode(_ENCODING, _ERRORS)] = value
        if length <= 0:
            raise ImageError(f"{label}: a PAX header is damaged", hint="corrupt layer")
        pos += length
    binary = raw.get("hdrcharset") == b"BINARY"
    for name, text in raw.items():
        try:
            records[name] = text.decode(_ENCODING, _ERRORS if binary else "strict")
        except UnicodeDecodeError:
            records[name] = text.decode(_ENCODING, _ERRORS)
    return records


class TarScanner:
    """Iterate members of a tar stream; data not copied is skipped."""

    def __init__(self, stream: Readable, label: str) -> None:
        self._stream = stream
        self._label = label
        self._pending = 0  # data bytes (with padding) of the current member not read yet

    def _read(self, size: int) -> bytes:
        data = self._stream.read(size)
        while len(data) < size:
            more = self._stream.read(size - len(data))
            if not more:
                raise ImageError(f"{self._label}: the tar ends early", hint="the layer is corrupt")
            data += more
        return data

    def _skip(self) -> None:
        while self._pending:
            chunk = self._read(min(self._pending, _COPY))
            self._pending -= len(chunk)

    def copy_data(self, out: Writable) -> None:
        """Write the current member's data, with its padding, to ``out``."""
        while self._pending:
            chunk = self._read(min(self._pending, _COPY))
            out.write(chunk)
            self._pending -= len(chunk)

    def __iter__(self) -> Iterator[Member]:
        pax_global: dict[str, str] = {}
        while True:
            self._skip()
            raw = bytearray()
            pax: dict[str, str] = {}
            long_name: str | None = None
            long_link: str | None = None
            while True:
                block = self._stream.read(BLOCK)
                if len(block) < BLOCK or block.count(0) == BLOCK:
                    return
                kind = block[156:157]
                size = _number(block[124:136], self._label)
                padded = -(-size // BLOCK) * BLOCK
                if kind in (b"x", b"X", b"g", b"L", b"K"):
                    data = self._read(padded)
                    if kind == b"g":
                        pax_global.update(parse_pax(data[:size], self._label))
                        continue
                    raw += block + data
                    if kind in (b"x", b"X"):
                        pax.update(parse_pax(data[:size], self._label))
                    elif kind == b"L":
                        long_name = _text(data[:size])
                    else:
                        long_link = _text(data[:size])
                    continue
                break
            if kind == b"S" or any(key.startswith("GNU.sparse.") for key in pax):
                raise ImageError(
                    f"{self._label} holds a sparse file, which is not supported",
                    hint="rebuild the image without sparse files",
                )
            name = _text(block[0:100])
            prefix = _text(block[345:500]) if block[257:263] == b"ustar\0" else ""
            if prefix:
                name = f"{prefix}/{name}"
            name = pax.get("path", long_name if long_name is not None else name)
            linkname = pax.get("linkpath", long_link if long_link is not None else "")
            if not linkname:
                linkname = _text(block[157:257])
            if "size" in pax:
                size = int(pax["size"])
                padded = -(-size // BLOCK) * BLOCK
            if kind == b"\0" and name.endswith("/"):
                kind = tarfile.DIRTYPE
            if kind == tarfile.DIRTYPE:
                name = name.rstrip("/") or name
            if kind in (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.CONTTYPE):
                kind = tarfile.REGTYPE
            raw += block
            # Header-only types carry no data whatever their size field says (as Go's reader).
            self._pending = 0 if kind in _HEADER_ONLY else padded
            yield Member(name, kind, linkname, size, bytes(raw), pax)


def tarinfo_of(member: Member) -> tarfile.TarInfo:
    """The full :class:`tarfile.TarInfo` of a member, parsed from its raw header bytes."""
    data = member.raw + b"\0" * (2 * BLOCK)
    with tarfile.open(
        fileobj=io.BytesIO(data), mode="r:", encoding=_ENCODING, errors=_ERRORS
    ) as tar:
        info = tar.next()
    if info is None:
        raise ImageError(f"cannot read the header of {member.name!r}", hint="corrupt layer")
    return info
