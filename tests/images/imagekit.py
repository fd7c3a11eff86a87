"""Building test images with umoci, and comparing file trees (for the image tests)."""

from __future__ import annotations

import ctypes
import hashlib
import io
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

TOOLS = ("docker-registry", "umoci", "skopeo")


def _need_tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (apt-get install -y {' '.join(missing)})")


def die_with_parent() -> None:  # runs in the child before exec: stop when pytest stops
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(*argv: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in argv], cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise AssertionError(f"{argv} failed: {done.stderr.strip()}")
    return done.stdout


# -- layer tars ------------------------------------------------------------------------------


class LayerTar:
    """Builds one uncompressed layer tar in memory-light steps."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tar = tarfile.open(path, "w", format=tarfile.PAX_FORMAT)  # noqa: SIM115

    def _info(self, name: str, kind: bytes, mode: int, uid: int, gid: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.type, info.mode, info.uid, info.gid = kind, mode, uid, gid
        info.mtime = 1_700_000_000
        return info

    def dir(self, name: str, mode: int = 0o755, uid: int = 0, gid: int = 0) -> None:
        self.tar.addfile(self._info(name, tarfile.DIRTYPE, mode, uid, gid))

    def file(
        self,
        name: str,
        data: bytes,
        mode: int = 0o644,
        uid: int = 0,
        gid: int = 0,
        xattrs: dict[str, str] | None = None,
    ) -> None:
        info = self._info(name, tarfile.REGTYPE, mode, uid, gid)
        info.size = len(data)
        if xattrs:
            info.pax_headers = {f"SCHILY.xattr.{k}": v for k, v in xattrs.items()}
        self.tar.addfile(info, io.BytesIO(data))

    def symlink(self, name: str, target: str) -> None:
        info = self._info(name, tarfile.SYMTYPE, 0o777, 0, 0)
        info.linkname = target
        self.tar.addfile(info)

    def hardlink(self, name: str, target: str) -> None:
        info = self._info(name, tarfile.LNKTYPE, 0o644, 0, 0)
        info.linkname = target
        self.tar.addfile(info)

    def node(self, name: str, kind: bytes, major: int = 0, minor: int = 0) -> None:
        info = self._info(name, kind, 0o666 if kind != tarfile.FIFOTYPE else 0o644, 0, 0)
        info.devmajor, info.devminor = major, minor
        self.tar.addfile(info)

    def whiteout(self, name: str) -> None:
        folder, _, base = name.rpartition("/")
        self.file(f"{folder}/.wh.{base}" if folder else f".wh.{base}", b"")

    def opaque(self, folder: str) -> None:
        self.file(f"{folder}/.wh..wh..opq", b"")

    def close(self) -> Path:
        self.tar.close()
        return self.path


LONG = "long/" + "d" * 120 + "/" + "f" * 150
UNICODE = "unicode/päth-日本語.txt"


def _layer1(tar: LayerTar) -> None:
    for folder in (
        "etc",
        "etc/app",
        "data",
        "data/keep",
        "opq",
        "opq/old",
        "gone",
        "gone/sub",
        "bin",
        "hl",
        "repl",
        "x",
        "y",
        "y/inner",
        "dev",
        "lnk",
        "long",
        "long/" + "d" * 120,
        "unicode",
        "owned",
    ):
        tar.dir(folder)
    tar.file("etc/app/conf", b"version 1\n")
    tar.hardlink("etc/app/conf2", "etc/app/conf")
    tar.file("data/keep/a.txt", b"a\n")
    tar.file("data/keep/b.txt", b"b\n")
    tar.file("data/big.bin", os.urandom(1 << 20))
    tar.file("opq/old/x", b"x")
    tar.file("opq/y", b"y")
    tar.file("gone/sub/z", b"z")
    tar.file("bin/tool", b"#!/bin/sh\necho tool\n", mode=0o4755)
    tar.file("hl/orig", b"original content\n", xattrs={"user.note": "kept"})
    tar.file("repl/target", b"target v1\n")
    tar.file("x/thing", b"file that becomes a folder")
    tar.file("y/inner/f", b"inside a folder that becomes a file")
    tar.symlink("etc/link", "app/conf")
    tar.symlink("lnk/abs", "/etc/app/conf")
    tar.symlink("lnk/dangling", "../nowhere")
    tar.dir("viadir")
    tar.file("viadir/gone-later", b"removed through a symlinked folder\n")
    tar.symlink("lnk/todir", "../viadir")
    tar.symlink("abslnk", "/etc/app")
    tar.node("dev/fifo0", tarfile.FIFOTYPE)
    # Device nodes are refused without --allow-devices: tests/images/test_hostile_archives.py
    tar.file(LONG, b"long name\n")
    tar.file(UNICODE, "ünïcödé\n".encode())
    tar.dir("owned/private", mode=0o700, uid=1000, gid=1000)
    tar.file("owned/private/secret", b"s", mode=0o600, uid=1000, gid=1000)
    tar.file("sticky-file", b"", mode=0o1755, uid=33, gid=44)


def _layer2(tar: LayerTar) -> None:
    tar.whiteout("gone/sub")
    tar.whiteout("data/keep/a.txt")
    tar.opaque("opq")
    tar.dir("opq")
    tar.file("opq/new", b"new after opaque\n")
    tar.dir("hl")
    tar.hardlink("hl/link", "hl/orig")
    tar.dir("repl")
    tar.hardlink("repl/link", "repl/target")
    tar.hardlink("etc/app/conf3", "etc/app/conf2")
    tar.dir("etc/app")
    tar.file("etc/app/conf", b"version 2\n", mode=0o640)
    tar.dir("data", mode=0o700, uid=5, gid=6)
    tar.dir("x/thing", mode=0o750)
    tar.file("x/thing/child", b"child\n")
    tar.file("y", b"now a file\n")
    tar.file("added/deep/new.txt", b"implicit parents\n")
    tar.file("lnk/todir/through.txt", b"written through lnk/todir -> ../viadir\n")
    tar.file("abslnk/from-abs", b"written through abslnk -> /etc/app\n")


def _layer3(tar: LayerTar) -> None:
    tar.dir("repl")
    tar.file("repl/target", b"target v2, replaced after the link was made\n")
    tar.whiteout("hl/orig")
    tar.whiteout("lnk/todir/gone-later")
    tar.hardlink("hl/again", "hl/link")
    tar.dir("etc")
    tar.symlink("etc/link", "app/conf2")
    tar.dir("data")
    tar.whiteout("data/big.bin")
    tar.file("data/big.bin", b"a whiteout and a new file in the same layer\n")


def _image_config(store: Path, image: str, arch: str) -> None:
    run(
        "umoci",
        "config",
        "--image",
        f"{store}:{image}",
        "--architecture",
        arch,
        "--os",
        "linux",
        "--config.env",
        "GREETING=hello world",
        "--config.env",
        "PATH=/usr/bin:/bin",
        "--config.entrypoint",
        "/bin/tool",
        "--config.cmd",
        "--serve",
        "--config.workingdir",
        "/srv",
        "--config.user",
        "1000:1000",
        "--config.exposedports",
        "8080/tcp",
        "--config.label",
        "org.example=yes",
    )


def _add(
    store: Path, image: str, folder: Path, name: str, build: Callable[[LayerTar], None]
) -> None:
    layer = LayerTar(folder / f"{name}.tar")
    build(layer)
    run("umoci", "raw", "add-layer", "--image", f"{store}:{image}", layer.close())


def _umoci_diff(store: Path, image: str, folder: Path) -> None:
    """A fourth layer made by umoci itself (unpack, change, repack)."""
    bundle = folder / "bundle"
    run("umoci", "unpack", "--image", f"{store}:{image}", bundle)
    rootfs = bundle / "rootfs"
    (rootfs / "data/keep/b.txt").unlink()
    (rootfs / "umoci-added").write_text("added by umoci repack\n")
    os.chmod(rootfs / "bin/tool", 0o755)
    shutil.rmtree(rootfs / "x/thing")
    run("umoci", "repack", "--image", f"{store}:{image}", bundle)
    shutil.rmtree(bundle)


def _make_index(store: Path, tags: dict[str, str], name: str) -> None:
    """An index blob for several tagged images, tagged ``name``."""
    index = json.loads((store / "index.json").read_text())
    by_tag = {
        item["annotations"]["org.opencontainers.image.ref.name"]: item
        for item in index["manifests"]
    }
    manifests = []
    for tag, platform in tags.items():
        entry = dict(by_tag[tag])
        entry.pop("annotations", None)
        os_name, arch, *variant = platform.split("/")
        entry["platform"] = {"os": os_name, "architecture": arch}
        if variant:
            entry["platform"]["variant"] = variant[0]
        manifests.append(entry)
    body = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": manifests,
        }
    ).encode()
    digest = hashlib.sha256(body).hexdigest()
    (store / "blobs/sha256" / digest).write_bytes(body)
    index["manifests"].append(
        {
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "digest": f"sha256:{digest}",
            "size": len(body),
            "annotations": {"org.opencontainers.image.ref.name": name},
        }
    )
    (store / "index.json").write_text(json.dumps(index))


def build_store(folder: Path) -> Path:
    """The OCI layout the tests use: ``layers`` (four layers), ``arm64``, and ``multi``."""
    store = folder / "layout"
    run("umoci", "init", "--layout", store)
    run("umoci", "new", "--image", f"{store}:layers")
    _image_config(store, "layers", "amd64")
    _add(store, "layers", folder, "l1", _layer1)
    _add(store, "layers", folder, "l2", _layer2)
    _add(store, "layers", folder, "l3", _layer3)
    _umoci_diff(store, "layers", folder)
    run("umoci", "new", "--image", f"{store}:arm64")
    _image_config(store, "arm64", "arm64")
    _add(store, "arm64", folder, "arm", lambda t: t.file("arch.txt", b"arm64\n"))
    _make_index(store, {"layers": "linux/amd64", "arm64": "linux/arm64/v8"}, "multi")
    return store


# -- comparing trees -------------------------------------------------------------------------


def tree_of(root: Path) -> dict[str, tuple[object, ...]]:
    """path -> (type, mode, uid, gid, content sha / link target / device, xattrs, link group)."""
    entries: dict[str, tuple[object, ...]] = {}
    inodes: dict[int, list[str]] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            rel = str(path.relative_to(root))
            st = path.lstat()
            kind = stat.S_IFMT(st.st_mode)
            if stat.S_ISREG(kind):
                detail: object = hashlib.sha256(path.read_bytes()).hexdigest()
                inodes.setdefault(st.st_ino, []).append(rel)
            elif stat.S_ISLNK(kind):
                detail = os.readlink(path)
            elif stat.S_ISCHR(kind) or stat.S_ISBLK(kind):
                detail = (os.major(st.st_rdev), os.minor(st.st_rdev))
            else:
                detail = None
            xattrs: tuple[tuple[str, bytes], ...] = ()
            if not stat.S_ISLNK(kind):
                names = sorted(n for n in os.listxattr(path) if n.startswith("user."))
                xattrs = tuple((n, os.getxattr(path, n)) for n in names)
            entries[rel] = (kind, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, detail, xattrs)
    for paths in inodes.values():
        group = tuple(sorted(paths))
        for rel in paths:
            entries[rel] = (*entries[rel], group)
    return entries


def extract_layer(archive: Path, dest: Path) -> Path:
    """Unpack the RouterOS archive's layer.tar with GNU tar, as root, keeping owners and xattrs."""
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as outer:
        names = outer.getnames()
        assert "layer.tar" in names and "manifest.json" in names, names
        outer.extract("layer.tar", dest.parent / "outer", filter="fully_trusted")
    rootfs = dest
    run(
        "tar",
        "--numeric-owner",
        "--same-owner",
        "-p",
        "--xattrs",
        "--xattrs-include=*",
        "-xf",
        dest.parent / "outer" / "layer.tar",
        "-C",
        rootfs,
    )
    return rootfs
