"""Random layer stacks: our flattened tree equals ``umoci unpack`` of the same image.

Each example draws a few layers of operations (files, folders, symlinks, hard links to what
exists, whiteouts, opaque folders, replacing files by folders and back), builds the image with
umoci, and compares the two trees file by file.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from mikrodock.images.convert import save_from_archive
from mikrodock.images.entries import escapes_root
from mikrodock.images.platforms import parse_platform

from .imagekit import LayerTar, extract_layer, run, tree_of

CANDIDATES = ["a", "b", "d0", "d0/a", "d0/b", "d0/d1", "d0/d1/a", "d0/d1/b", "d2", "d2/a"]
KINDS = ["file", "file", "dir", "symlink", "hardlink"]
MODES = [0o644, 0o600, 0o755, 0o4755, 0o640]


def _folder(path: str) -> str:
    return posixpath.dirname(path)


def _ancestors(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:n]) for n in range(1, len(parts))]


def _drop(state: dict[str, str], path: str) -> None:
    for other in [p for p in state if p == path or p.startswith(path + "/")]:
        del state[other]


def _draw_layer(data: st.DataObject, state: dict[str, str], tar: LayerTar) -> None:
    for _ in range(data.draw(st.integers(0, 2))):
        if not state:
            break
        victim = data.draw(st.sampled_from(sorted(state)))
        tar.whiteout(victim)
        _drop(state, victim)
    folders = sorted(p for p, kind in state.items() if kind == "dir")
    made: set[str] = set()
    if folders and data.draw(st.booleans()):
        folder = data.draw(st.sampled_from(folders))
        tar.dir(folder)
        tar.opaque(folder)
        made.add(folder)
        for child in [p for p in state if p.startswith(folder + "/")]:
            del state[child]
    for _ in range(data.draw(st.integers(1, 5))):
        path = data.draw(st.sampled_from(CANDIDATES))
        if path in made or any(a in made and state.get(a) != "dir" for a in _ancestors(path)):
            continue
        for parent in _ancestors(path):
            if state.get(parent) == "symlink" and data.draw(st.booleans()):
                continue  # write through the symlink (it may point at a folder)
            if state.get(parent) != "dir":
                tar.dir(parent)
                _drop(state, parent)
                state[parent] = "dir"
                made.add(parent)
        kind = data.draw(st.sampled_from(KINDS))
        targets = sorted(
            p
            for p, k in state.items()
            if k in ("file", "symlink") and p != path and not p.startswith(path + "/")
        )
        if kind == "hardlink" and not targets:
            kind = "file"
        if kind == "dir":
            if state.get(path) != "dir":
                _drop(state, path)
            tar.dir(path, mode=data.draw(st.sampled_from([0o755, 0o700, 0o750])))
            state[path] = "dir"
        else:
            if kind == "file":
                tar.file(
                    path,
                    data.draw(st.binary(max_size=64)),
                    mode=data.draw(st.sampled_from(MODES)),
                    uid=data.draw(st.sampled_from([0, 1000])),
                )
            elif kind == "symlink":
                targets = ["a", "../b", "/d0/a", "nowhere", "d0", "/d0/d1", "../d2", "."]
                # a relative target that climbs above the root is refused (test_hostile_archives)
                inside = [
                    t
                    for t in targets
                    if t.startswith("/") or not escapes_root(posixpath.join(_folder(path), t))
                ]
                tar.symlink(path, data.draw(st.sampled_from(inside)))
            else:
                target = data.draw(st.sampled_from(targets))
                tar.hardlink(path, target)
                kind = state[target]
            _drop(state, path)
            state[path] = kind
        made.add(path)


@pytest.mark.slow
@settings(
    max_examples=int(os.environ.get("MIKRODOCK_FLATTEN_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), layer_count=st.integers(1, 4))
def test_random_layer_stacks_flatten_like_umoci(
    oci_store: Path, data: st.DataObject, layer_count: int
) -> None:
    del oci_store  # only for its skip conditions (tools, root)
    with tempfile.TemporaryDirectory(prefix="flatten-prop-") as name:
        folder = Path(name)
        store = folder / "layout"
        run("umoci", "init", "--layout", store)
        run("umoci", "new", "--image", f"{store}:t")
        state: dict[str, str] = {}
        for number in range(layer_count):
            tar = LayerTar(folder / f"l{number}.tar")
            _draw_layer(data, state, tar)
            run("umoci", "raw", "add-layer", "--image", f"{store}:t", tar.close())
        try:
            run("umoci", "unpack", "--image", f"{store}:t", folder / "bundle")
        except AssertionError:
            reject()  # not a valid image (a link to nothing, a symlink loop, ...)
        out = folder / "out.tar"
        save_from_archive(store, parse_platform("linux/amd64"), out, name="t")
        ours = tree_of(extract_layer(out, folder / "ours"))
        theirs = tree_of(folder / "bundle" / "rootfs")
        assert ours == theirs
        shutil.rmtree(folder / "bundle")
