"""Flattening against umoci: the tree from our one-layer archive equals ``umoci unpack``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mikrodock.images.convert import save_from_archive
from mikrodock.images.platforms import parse_platform

Snapshot = Callable[[Path], dict[str, tuple[object, ...]]]


def test_oci_layout_flattens_to_the_umoci_tree(
    oci_store: Path, umoci_tree: Path, tmp_path: Path, snapshot: Snapshot, unpack_archive: Callable
) -> None:
    out = tmp_path / "app.tar"
    saved = save_from_archive(oci_store, parse_platform("linux/amd64"), out, name="layers")
    assert saved.path == out and out.is_file()
    ours = snapshot(unpack_archive(out, tmp_path / "rootfs"))
    theirs = snapshot(umoci_tree)
    assert sorted(ours) == sorted(theirs)
    for path in theirs:
        assert ours[path] == theirs[path], path
    groups = {entry[-1] for entry in theirs.values() if len(entry) == 7 and len(entry[-1]) > 1}
    assert groups == {("hl/again", "hl/link"), ("etc/app/conf2", "etc/app/conf3")}
    assert saved.stats.hardlinks == 2
