"""Flatten image layers into one tar, streamed: memory grows with the number of files, not bytes.

Two passes over the layer blobs, bottom layer first:

1. **Index** (headers only): replay every layer onto a tree of paths. Whiteouts (``.wh.NAME``)
   and opaque markers (``.wh..wh..opq``) of a layer apply to the lower layers before the layer's
   own entries. A hard link takes the *content* of its target as it is at that point (its
   ``(layer, member)`` key), so a later layer that replaces the target does not change it.
   A path that gets a new entry drops what was there (and, for a non-directory, its subtree).
   The tree keeps, per file, one integer; per directory, its raw header bytes.
2. **Emit**: every surviving directory first (parents before children), then each layer is read
   again and every member that is still the content of some path is written once, under its
   first path; the other paths sharing that content follow as hard links to it.

Members whose name does not change are copied byte for byte (header blocks and data); others
get a new PAX header. Kept: file data, modes (setuid/sticky too), uid/gid and names, mtimes, link
targets, device numbers, fifos, extended attributes (``SCHILY.xattr.*``), long and non-ASCII
names.
"""

from __future__ import annotations

import tarfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from mikrodock.errors import ImageError
from mikrodock.images.entries import EntryReport, check_member
from mikrodock.images.layers import LayerSource, open_layer
from mikrodock.images.progress import ByteProgress, SilentProgress
from mikrodock.images.tarscan import BLOCK, Member, TarScanner, tarinfo_of

__all__ = ["FlattenStats", "flatten_layers"]

_WHITEOUT = ".wh."
_OPAQUE = ".wh..wh..opq"
_META_PREFIX = ".wh..wh."
# PAX keys that describe the entry itself; tarfile writes them again from the TarInfo fields.
_PAX_DROP = frozenset(
    {"path", "linkpath", "size", "uid", "gid", "uname", "gname", "mtime", "atime", "ctime"}
)
_ENCODING = "utf-8"
_ERRORS = "surrogateescape"
_RECORD = 20 * BLOCK
_PROGRESS_KEY = "flatten"


@dataclass
class FlattenStats:
    """What the flattened layer holds."""

    entries: int = 0
    directories: int = 0
    hardlinks: int = 0
    content_bytes: int = 0
    dropped_links: list[str] = field(default_factory=list)
    checked: EntryReport = field(default_factory=EntryReport)
    """Setuid/setgid files and (when allowed) device nodes the layers hold."""


class _Dir:
    __slots__ = ("children", "name", "raw")

    def __init__(self, name: str = "", raw: bytes | None = None) -> None:
        self.name = name  # the member name as the layer wrote it
        self.raw = raw  # its raw header blocks; None for a folder no layer described
        self.children: dict[str, _Node] = {}


class _Link:
    """A symlink: its content key and its target (followed when it is a path's parent)."""

    __slots__ = ("key", "target")

    def __init__(self, key: int, target: str) -> None:
        self.key = key
        self.target = target


_Node = _Dir | _Link | int  # a folder, a symlink, or the content key of any other entry
_MAX_HOPS = 40


def _key(layer: int, ordinal: int) -> int:
    return layer << 32 | ordinal


def _clean_name(name: str, label: str) -> list[str]:
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ImageError(f"{label}: entry {name!r} points outside the image", hint="bad layer")
    return parts


class _Tree:
    """The merged filesystem. Folders on the way to a path follow symlinks, staying inside
    the image (as ``umoci`` and docker unpack): ``lib/x`` with ``lib -> usr/lib`` is ``usr/lib/x``.
    """

    def __init__(self) -> None:
        self.root = _Dir()

    def folder(self, parts: Sequence[str], *, create: bool) -> _Dir | None:
        """The folder at ``parts``, following symlinks; made (as plain folders) when ``create``."""
        trail = [self.root]
        pending = list(reversed(parts))
        hops = 0
        while pending:
            part = pending.pop()
            if part in ("", "."):
                continue
            if part == "..":
                if len(trail) > 1:
                    trail.pop()
                continue
            node = trail[-1]
            child = node.children.get(part)
            if isinstance(child, _Link):
                hops += 1
                if hops > _MAX_HOPS:
                    return None
                if child.target.startswith("/"):
                    del trail[1:]
                pending.extend(reversed(child.target.split("/")))
                continue
            if not isinstance(child, _Dir):
                if not create:
                    return None
                child = _Dir()
                node.children[part] = child
            trail.append(child)
        return trail[-1]

    def lookup(self, parts: Sequence[str]) -> _Node | None:
        """What is at ``parts`` (the last part itself not followed)."""
        if not parts:
            return self.root
        folder = self.folder(parts[:-1], create=False)
        return folder.children.get(parts[-1]) if folder is not None else None

    def parent(self, parts: Sequence[str]) -> dict[str, _Node]:
        """The children of the parent of ``parts``, making missing folders."""
        folder = self.folder(parts[:-1], create=True)
        if folder is None:  # creating fails only on a symlink loop
            where = "/".join(parts)
            raise ImageError(f"{where}: too many symlinks on the way", hint="the layer is broken")
        return folder.children

    def whiteout(self, parts: list[str]) -> None:
        *where, name = parts
        target = self.folder(where, create=False)
        if target is None:
            return
        if name == _OPAQUE:
            target.children.clear()
        elif not name.startswith(_META_PREFIX):
            target.children.pop(name[len(_WHITEOUT) :], None)

    def apply(
        self,
        parts: list[str],
        kind: bytes,
        name: str,
        linkname: str,
        raw: bytes | None,
        key: int,
        stats: FlattenStats,
    ) -> None:
        if not parts:
            return  # the root folder itself
        if kind == tarfile.LNKTYPE:
            target = self.lookup(_clean_name(linkname, "hard link"))
            if target is None or isinstance(target, _Dir):
                stats.dropped_links.append("/".join(parts))
                return
            self.parent(parts)[parts[-1]] = target
            return
        children = self.parent(parts)
        if kind == tarfile.DIRTYPE:
            existing = children.get(parts[-1])
            if isinstance(existing, _Dir):
                existing.name, existing.raw = name, raw
            else:
                children[parts[-1]] = _Dir(name, raw)
        elif kind == tarfile.SYMTYPE:
            children[parts[-1]] = _Link(key, linkname)
        else:
            children[parts[-1]] = key

    def walk(self) -> Iterator[tuple[str, _Node]]:
        """(path, node) pairs, parents before children, names sorted."""
        stack: list[tuple[str, _Node]] = [("", self.root)]
        while stack:
            path, node = stack.pop()
            if path:
                yield path, node
            if isinstance(node, _Dir):
                for name in sorted(node.children, reverse=True):
                    stack.append((f"{path}/{name}" if path else name, node.children[name]))


def _index(layers: Sequence[LayerSource], stats: FlattenStats, allow_devices: bool) -> _Tree:
    tree = _Tree()
    for number, source in enumerate(layers):
        # A layer's whiteouts apply before its entries: keep the entries (compactly) until
        # the layer's end. Only folders keep their raw header, for the output.
        entries: list[tuple[str, bytes, str, bytes | None, int]] = []
        with open_layer(source) as stream:
            for ordinal, member in enumerate(TarScanner(stream, source.label)):
                check_member(member, source.label, stats.checked, allow_devices=allow_devices)
                base = member.name.rstrip("/").rsplit("/", 1)[-1]
                if base.startswith(_WHITEOUT):
                    tree.whiteout(_clean_name(member.name, source.label))
                    continue
                raw = member.raw if member.isdir() else None
                entries.append((member.name, member.type, member.linkname, raw, ordinal))
            stream.finish()
        for name, kind, linkname, raw, ordinal in entries:
            parts = _clean_name(name, source.label)
            tree.apply(parts, kind, name, linkname, raw, _key(number, ordinal), stats)
    return tree


def _output_info(info: tarfile.TarInfo, name: str) -> tarfile.TarInfo:
    out = tarfile.TarInfo(name)
    for attr in ("mode", "uid", "gid", "uname", "gname", "mtime", "type", "linkname"):
        setattr(out, attr, getattr(info, attr))
    out.devmajor, out.devminor = info.devmajor, info.devminor
    out.size = info.size if info.isreg() else 0
    out.pax_headers = {
        key: value
        for key, value in info.pax_headers.items()
        if key not in _PAX_DROP and not key.startswith("GNU.sparse.")
    }
    if out.type in (tarfile.CONTTYPE, tarfile.AREGTYPE):
        out.type = tarfile.REGTYPE
    return out


def _default_dir(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    return info


class _Writer:
    """Writes tar blocks to ``out`` and ends the archive as tar does."""

    def __init__(self, out: BinaryIO, progress: ByteProgress) -> None:
        self.out = out
        self.offset = 0
        self._progress = progress

    def write(self, data: bytes) -> None:
        self.out.write(data)
        self.offset += len(data)
        self._progress.advance(_PROGRESS_KEY, len(data))

    def header(self, info: tarfile.TarInfo) -> None:
        self.write(info.tobuf(tarfile.PAX_FORMAT, _ENCODING, _ERRORS))

    def close(self) -> None:
        end = self.offset + 2 * BLOCK
        self.write(b"\0" * (2 * BLOCK + (-end % _RECORD)))


def _same_name(written: str, path: str) -> bool:
    return written.rstrip("/") == path


def flatten_layers(
    layers: Sequence[LayerSource],
    out: BinaryIO,
    progress: ByteProgress | None = None,
    *,
    allow_devices: bool = False,
) -> FlattenStats:
    """Write the merged filesystem of ``layers`` (bottom first) to ``out`` as one tar.

    Every member passes :func:`~mikrodock.images.entries.check_member` first (nothing is
    written for an image that holds an escaping path, or a device node unless allowed).
    """
    progress = progress or SilentProgress()
    stats = FlattenStats()
    tree = _index(layers, stats, allow_devices)
    progress.start(_PROGRESS_KEY, f"flatten {len(layers)} layer(s)", 0)
    writer = _Writer(out, progress)
    content: dict[int, str | list[str]] = {}  # content key -> its path(s); one is a str
    counts: dict[int, int] = {}  # layer -> how many of its members are content
    for path, node in tree.walk():
        if isinstance(node, _Dir):
            if node.raw is not None and _same_name(node.name, path):
                writer.write(node.raw)
            else:
                info = _default_dir(path)
                if node.raw is not None:
                    member = Member(node.name, tarfile.DIRTYPE, "", 0, node.raw, {})
                    info = _output_info(tarinfo_of(member), path)
                writer.header(info)
            stats.directories += 1
            stats.entries += 1
        else:
            key = node.key if isinstance(node, _Link) else node
            known = content.get(key)
            if known is None:
                content[key] = path
                counts[key >> 32] = counts.get(key >> 32, 0) + 1
            elif isinstance(known, str):
                content[key] = [known, path]
            else:
                known.append(path)
    links: list[tuple[tarfile.TarInfo, list[str]]] = []
    for number in sorted(counts):
        _emit_layer(layers[number], number, counts[number], content, writer, stats, links)
    for info, paths in links:
        for extra in paths[1:]:
            link = _output_info(info, extra)
            link.type = tarfile.LNKTYPE
            link.linkname = paths[0]
            link.size = 0
            writer.header(link)
            stats.hardlinks += 1
            stats.entries += 1
    writer.close()
    progress.finish(_PROGRESS_KEY)
    return stats


def _emit_layer(
    source: LayerSource,
    number: int,
    count: int,
    content: dict[int, str | list[str]],
    writer: _Writer,
    stats: FlattenStats,
    links: list[tuple[tarfile.TarInfo, list[str]]],
) -> None:
    with open_layer(source, verify=False) as stream:
        scanner = TarScanner(stream, source.label)
        for ordinal, member in enumerate(scanner):
            found = content.get(_key(number, ordinal))
            if found is None:
                continue
            count -= 1
            paths = [found] if isinstance(found, str) else found
            if _same_name(member.name, paths[0]):
                writer.write(member.raw)
                scanner.copy_data(writer)
                info = tarinfo_of(member) if len(paths) > 1 else None
            else:
                info = tarinfo_of(member)
                rebuilt = _output_info(info, paths[0])
                writer.header(rebuilt)
                if rebuilt.size:
                    scanner.copy_data(writer)
            if member.type == tarfile.REGTYPE:
                stats.content_bytes += member.size
            if info is not None and len(paths) > 1:
                links.append((info, paths))
            stats.entries += 1
            if not count:
                break
