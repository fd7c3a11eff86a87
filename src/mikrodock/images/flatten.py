"""Flatten image layers into one tar, streamed: memory grows with the number of files, not bytes.

Two passes over the layer blobs, bottom layer first:

1. **Index** (headers only): replay every layer onto a tree of paths. Whiteouts (``.wh.NAME``)
   and opaque markers (``.wh..wh..opq``) of a layer apply to the lower layers before the layer's
   own entries. A hard link takes the *content* of its target as it is at that point (its
   ``(layer, member)`` source), so a later layer that replaces the target does not change it.
   A path that gets a new entry drops what was there (and, for a non-directory, its subtree).
2. **Emit**: every surviving directory first (parents before children), then each layer is read
   again and every member that is still the content of some path is written once, under its
   first path; the other paths sharing that content follow as hard links to it.

Kept: file data, modes (with setuid/sticky bits), uid/gid and names, mtimes, link targets,
device numbers, fifos, PAX extended attributes (``SCHILY.xattr.*``) and long or non-ASCII names.
"""

from __future__ import annotations

import copy
import tarfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, BinaryIO, cast

from mikrodock.errors import ImageError
from mikrodock.images.layers import HashingReader, LayerSource, open_layer

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

Key = tuple[int, int]


@dataclass
class FlattenStats:
    """What the flattened layer holds."""

    entries: int = 0
    directories: int = 0
    hardlinks: int = 0
    content_bytes: int = 0
    dropped_links: list[str] = field(default_factory=list)


class _Node:
    __slots__ = ("children", "info", "key")

    def __init__(
        self, info: tarfile.TarInfo | None, key: Key | None, children: dict[str, _Node] | None
    ) -> None:
        self.info = info
        self.key = key
        self.children = children

    @property
    def is_dir(self) -> bool:
        return self.children is not None


def _clean_name(name: str, label: str) -> list[str]:
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ImageError(f"{label}: entry {name!r} points outside the image", hint="bad layer")
    return parts


def _tar_reader(stream: HashingReader) -> tarfile.TarFile:
    return tarfile.open(
        fileobj=cast(IO[bytes], stream),
        mode="r|",
        encoding=_ENCODING,
        errors=_ERRORS,
    )


def _forget_members(tar: tarfile.TarFile) -> None:
    """Stream-mode TarFile keeps every header it read; we keep our own."""
    cast(Any, tar).members.clear()


def _read_headers(source: LayerSource) -> list[tarfile.TarInfo]:
    """All member headers of a layer (no data kept); checks the diff id."""
    members: list[tarfile.TarInfo] = []
    with open_layer(source) as stream:
        try:
            with _tar_reader(stream) as tar:
                while (info := tar.next()) is not None:
                    _forget_members(tar)
                    info.tarfile = None
                    members.append(info)
        except tarfile.TarError as exc:
            raise ImageError(f"{source.label} is not a valid tar: {exc}", hint="bad layer") from exc
        stream.finish()
    return members


class _Tree:
    def __init__(self) -> None:
        self.root = _Node(None, None, {})

    def lookup(self, parts: Sequence[str]) -> _Node | None:
        node = self.root
        for part in parts:
            if node.children is None or part not in node.children:
                return None
            node = node.children[part]
        return node

    def parent(self, parts: Sequence[str]) -> dict[str, _Node]:
        """The children dict of the parent of ``parts``, making missing directories."""
        node = self.root
        for part in parts[:-1]:
            assert node.children is not None
            child = node.children.get(part)
            if child is None or child.children is None:
                child = _Node(None, None, {})
                node.children[part] = child
            node = child
        assert node.children is not None
        return node.children

    def whiteout(self, parts: list[str]) -> None:
        *folder, name = parts
        target = self.lookup(folder)
        if target is None or target.children is None:
            return
        if name == _OPAQUE:
            target.children.clear()
        elif not name.startswith(_META_PREFIX):
            target.children.pop(name[len(_WHITEOUT) :], None)

    def apply(self, parts: list[str], info: tarfile.TarInfo, key: Key, stats: FlattenStats) -> None:
        if not parts:
            return  # the root folder itself
        if info.islnk():
            target = self.lookup(_clean_name(info.linkname, "hard link"))
            if target is None or target.is_dir:
                stats.dropped_links.append("/".join(parts))
                return
            if target.info is None:
                return
            self.parent(parts)[parts[-1]] = _Node(target.info, target.key, None)
            return
        children = self.parent(parts)
        existing = children.get(parts[-1])
        if info.isdir():
            if existing is not None and existing.children is not None:
                existing.info = info
            else:
                children[parts[-1]] = _Node(info, None, {})
        else:
            children[parts[-1]] = _Node(info, key, None)

    def walk(self) -> Iterator[tuple[str, _Node]]:
        """(path, node) pairs, parents before children, names sorted."""
        stack: list[tuple[str, _Node]] = [("", self.root)]
        while stack:
            path, node = stack.pop()
            if path:
                yield path, node
            if node.children:
                for name in sorted(node.children, reverse=True):
                    stack.append((f"{path}/{name}" if path else name, node.children[name]))


def _index(layers: Sequence[LayerSource], stats: FlattenStats) -> _Tree:
    tree = _Tree()
    for number, source in enumerate(layers):
        members = _read_headers(source)
        entries: list[tuple[list[str], tarfile.TarInfo, Key]] = []
        for ordinal, info in enumerate(members):
            parts = _clean_name(info.name, source.label)
            name = parts[-1] if parts else ""
            if name.startswith(_WHITEOUT):
                tree.whiteout(parts)
            else:
                entries.append((parts, info, (number, ordinal)))
        for parts, info, key in entries:
            tree.apply(parts, info, key, stats)
    return tree


def _output_info(info: tarfile.TarInfo, name: str) -> tarfile.TarInfo:
    out = copy.copy(info)
    out.name = name
    out.tarfile = None
    out.pax_headers = {
        key: value
        for key, value in info.pax_headers.items()
        if key not in _PAX_DROP and not key.startswith("GNU.sparse.")
    }
    out.sparse = None
    if out.type in (tarfile.CONTTYPE, tarfile.GNUTYPE_SPARSE):
        out.type = tarfile.REGTYPE
    return out


def _default_dir(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    return info


def flatten_layers(
    layers: Sequence[LayerSource], out: BinaryIO, *, buffer: int = 1 << 20
) -> FlattenStats:
    """Write the merged filesystem of ``layers`` (bottom first) to ``out`` as one PAX tar."""
    stats = FlattenStats()
    tree = _index(layers, stats)
    content: dict[Key, tuple[tarfile.TarInfo, list[str]]] = {}
    with tarfile.open(
        fileobj=out,
        mode="w",
        format=tarfile.PAX_FORMAT,
        encoding=_ENCODING,
        errors=_ERRORS,
    ) as writer:
        cast(Any, writer).copybufsize = buffer
        for path, node in tree.walk():
            if node.is_dir:
                info = node.info if node.info is not None else _default_dir(path)
                writer.addfile(_output_info(info, path))
                stats.directories += 1
                stats.entries += 1
            elif node.key is not None and node.info is not None:
                content.setdefault(node.key, (node.info, []))[1].append(path)
        wanted: dict[int, set[int]] = {}
        for layer, ordinal in content:
            wanted.setdefault(layer, set()).add(ordinal)
        for number in sorted(wanted):
            _emit_layer(layers[number], number, wanted[number], content, writer, stats)
        for info, paths in content.values():
            for extra in paths[1:]:
                link = _output_info(info, extra)
                link.type = tarfile.LNKTYPE
                link.linkname = paths[0]
                link.size = 0
                writer.addfile(link)
                stats.hardlinks += 1
                stats.entries += 1
    return stats


def _emit_layer(
    source: LayerSource,
    number: int,
    ordinals: set[int],
    content: dict[Key, tuple[tarfile.TarInfo, list[str]]],
    writer: tarfile.TarFile,
    stats: FlattenStats,
) -> None:
    with open_layer(source, verify=False) as stream:
        try:
            with _tar_reader(stream) as tar:
                ordinal = -1
                while ordinals and (info := tar.next()) is not None:
                    ordinal += 1
                    _forget_members(tar)
                    if ordinal not in ordinals:
                        continue
                    ordinals.discard(ordinal)
                    out = _output_info(info, content[(number, ordinal)][1][0])
                    if info.isreg():
                        writer.addfile(out, tar.extractfile(info))
                        stats.content_bytes += info.size
                    else:
                        writer.addfile(out)
                    stats.entries += 1
        except tarfile.TarError as exc:
            raise ImageError(f"{source.label} is not a valid tar: {exc}", hint="bad layer") from exc
