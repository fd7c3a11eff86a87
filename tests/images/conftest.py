"""Real parts for the image tests: a distribution registry, a token service, umoci-built images.

- ``oci_store``: an OCI layout made with ``umoci`` holding ``layers`` (four layers: deletions,
  opaque directories, hard links across layers, symlinks, devices, long and non-ASCII names,
  xattrs, an umoci-made diff) and ``multi`` (an index for linux/amd64 and linux/arm64).
- ``registry``: Debian's ``docker-registry`` on 127.0.0.1 with those images pushed by ``skopeo``.
- ``token_registry``: the same storage behind token auth; the token service is a Starlette app
  that signs JWTs with a key whose certificate the registry trusts (user alice, password s3cret).
"""

from __future__ import annotations

import base64
import ctypes
import datetime as dt
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

TOOLS = ("docker-registry", "umoci", "skopeo")
USER, PASSWORD = "alice", "s3cret"


def _need_tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (apt-get install -y {' '.join(missing)})")


def _die_with_parent() -> None:  # runs in the child before exec: stop when pytest stops
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
    tar.node("dev/fifo0", tarfile.FIFOTYPE)
    tar.node("dev/null2", tarfile.CHRTYPE, 1, 3)
    tar.node("dev/blk0", tarfile.BLKTYPE, 7, 0)
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


def _layer3(tar: LayerTar) -> None:
    tar.dir("repl")
    tar.file("repl/target", b"target v2, replaced after the link was made\n")
    tar.whiteout("hl/orig")
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


def _add(store: Path, image: str, folder: Path, name: str, build: object) -> None:
    layer = LayerTar(folder / f"{name}.tar")
    build(layer)  # type: ignore[operator]
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
    import hashlib

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


@pytest.fixture(scope="session")
def oci_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _need_tools()
    if os.geteuid() != 0:
        pytest.skip("the reference unpack needs root (device nodes, owners)")
    folder = tmp_path_factory.mktemp("oci")
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


@pytest.fixture(scope="session")
def umoci_tree(oci_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``umoci unpack`` of the ``layers`` image: the reference the flattened tree must equal."""
    bundle = tmp_path_factory.mktemp("umoci") / "bundle"
    run("umoci", "unpack", "--image", f"{oci_store}:layers", bundle)
    return bundle / "rootfs"


# -- registries ------------------------------------------------------------------------------


@dataclass
class Registry:
    host: str  # 127.0.0.1:PORT
    storage: Path
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_registry(folder: Path, storage: Path, auth: dict[str, object] | None = None) -> Registry:
    port = free_port()
    config = {
        "version": 0.1,
        "log": {"level": "error", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(storage)}, "delete": {"enabled": True}},
        "http": {"addr": f"127.0.0.1:{port}", "secret": "test-secret"},
    }
    if auth:
        config["auth"] = auth
    path = folder / f"registry-{port}.json"  # YAML is a superset of JSON
    path.write_text(json.dumps(config))
    log = open(folder / f"registry-{port}.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        ["docker-registry", "serve", str(path)],
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=_die_with_parent,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"registry died: {(folder / f'registry-{port}.log').read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v2/", timeout=1).status_code in (200, 401):
                return Registry(f"127.0.0.1:{port}", storage, process)
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("registry did not start")


def push(store: Path, tag: str, host: str, repo: str, *, all_images: bool = False) -> None:
    argv = ["skopeo", "copy", "--quiet", "--dest-tls-verify=false"]
    if all_images:
        argv.append("--all")
    run(*argv, f"oci:{store}:{tag}", f"docker://{host}/{repo}")


@pytest.fixture(scope="session")
def registry_storage(oci_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Registry storage holding test/layers:v1 and test/multi:v1, filled through a registry."""
    folder = tmp_path_factory.mktemp("registry")
    storage = folder / "storage"
    registry = start_registry(folder, storage)
    try:
        push(oci_store, "layers", registry.host, "test/layers:v1")
        push(oci_store, "multi", registry.host, "test/multi:v1", all_images=True)
    finally:
        registry.stop()
    return storage


@pytest.fixture(scope="session")
def registry(registry_storage: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``127.0.0.1:PORT`` of an anonymous registry with the test images."""
    server = start_registry(tmp_path_factory.mktemp("anon"), registry_storage)
    yield server.host
    server.stop()


@pytest.fixture
def corrupt_registry(registry_storage: Path, tmp_path: Path) -> Iterator[str]:
    """A registry whose biggest layer blob of test/layers has one byte changed."""
    storage = tmp_path / "storage"
    shutil.copytree(registry_storage, storage, symlinks=True)
    blobs = sorted(
        (storage / "docker/registry/v2/blobs").rglob("data"), key=lambda p: p.stat().st_size
    )
    victim = blobs[-1]
    raw = bytearray(victim.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    victim.write_bytes(bytes(raw))
    server = start_registry(tmp_path, storage)
    yield server.host
    server.stop()


# -- token auth ------------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class TokenService:
    url: str
    cert_path: Path


@pytest.fixture(scope="session")
def token_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenService]:
    import uvicorn
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.x509.oid import NameOID
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mikrodock test token issuer")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("token")
    cert_path = folder / "issuer.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()

    def sign(claims: dict[str, object]) -> str:
        header = {"typ": "JWT", "alg": "RS256", "x5c": [x5c]}
        signing = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing}.{_b64url(signature)}"

    async def token(request: Request) -> JSONResponse:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return JSONResponse({"details": "login required"}, status_code=401)
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        if (user, password) != (USER, PASSWORD):
            return JSONResponse({"details": "bad credentials"}, status_code=401)
        access = []
        scope = request.query_params.get("scope", "")
        if scope.startswith("repository:"):
            _, repo, actions = scope.split(":")
            access.append({"type": "repository", "name": repo, "actions": actions.split(",")})
        stamp = int(time.time())
        claims = {
            "iss": "mikrodock-test",
            "sub": user,
            "aud": "mikrodock-registry",
            "exp": stamp + 600,
            "nbf": stamp - 10,
            "iat": stamp,
            "jti": os.urandom(8).hex(),
            "access": access,
        }
        return JSONResponse({"token": sign(claims), "expires_in": 600})

    app = Starlette(routes=[Route("/token", token)])
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield TokenService(f"http://127.0.0.1:{port}/token", cert_path)
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="session")
def token_registry(
    registry_storage: Path, token_service: TokenService, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """``127.0.0.1:PORT`` of a registry that wants a bearer token from ``token_service``."""
    auth = {
        "token": {
            "realm": token_service.url,
            "service": "mikrodock-registry",
            "issuer": "mikrodock-test",
            "rootcertbundle": str(token_service.cert_path),
        }
    }
    server = start_registry(tmp_path_factory.mktemp("tokenreg"), registry_storage, auth)
    yield server.host
    server.stop()


@pytest.fixture
def docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty docker client config (DOCKER_CONFIG) and a private MIKRODOCK_HOME."""
    folder = tmp_path / "docker-config"
    folder.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(folder))
    monkeypatch.setenv("MIKRODOCK_HOME", str(tmp_path / "home"))
    return folder


def write_login(folder: Path, host: str, user: str, password: str) -> None:
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    (folder / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}))


# -- comparing trees -------------------------------------------------------------------------


def tree_of(root: Path) -> dict[str, tuple[object, ...]]:
    """path -> (type, mode, uid, gid, content sha / link target / device, xattrs, link group)."""
    import hashlib
    import stat

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


@pytest.fixture(scope="session")
def snapshot() -> object:
    """The :func:`tree_of` function, for test modules (conftest is not importable)."""
    return tree_of


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


@pytest.fixture(scope="session")
def unpack_archive() -> object:
    return extract_layer


@pytest.fixture(scope="session")
def basic_registry(
    registry_storage: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """``127.0.0.1:PORT`` of a registry with htpasswd (basic) auth for alice/s3cret."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import crypt
        except ImportError:
            pytest.skip("needs the crypt module for a bcrypt htpasswd line")
    hashed = crypt.crypt(PASSWORD, crypt.mksalt(crypt.METHOD_BLOWFISH))
    folder = tmp_path_factory.mktemp("basicreg")
    (folder / "htpasswd").write_text(f"{USER}:{hashed}\n")
    auth = {"htpasswd": {"realm": "mikrodock-test", "path": str(folder / "htpasswd")}}
    server = start_registry(folder, registry_storage, auth)
    yield server.host
    server.stop()
