"""Fixtures with real parts for the image tests (see ``imagekit``, ``registries``).

- ``oci_store``: an OCI layout made with ``umoci`` holding ``layers`` (four layers: deletions,
  opaque directories, hard links across layers, symlinks, devices, long and non-ASCII names,
  xattrs, an umoci-made diff) and ``multi`` (an index for linux/amd64 and linux/arm64/v8).
- ``registry``: Debian's ``docker-registry`` on 127.0.0.1 with those images pushed by ``skopeo``;
  ``token_registry`` (bearer tokens from a Starlette token service) and ``basic_registry``
  (htpasswd) serve the same storage; ``corrupt_registry`` serves a copy with a damaged blob.
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .imagekit import TOOLS, build_store, extract_layer, run, tree_of
from .registries import PASSWORD, USER, TokenService, push, start_registry, token_service_running


@pytest.fixture(scope="session")
def oci_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (apt-get install -y {' '.join(missing)})")
    if os.geteuid() != 0:
        pytest.skip("the reference unpack needs root (device nodes, owners)")
    return build_store(tmp_path_factory.mktemp("oci"))


@pytest.fixture(scope="session")
def umoci_tree(oci_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``umoci unpack`` of the ``layers`` image: the reference the flattened tree must equal."""
    bundle = tmp_path_factory.mktemp("umoci") / "bundle"
    run("umoci", "unpack", "--image", f"{oci_store}:layers", bundle)
    return bundle / "rootfs"


@pytest.fixture(scope="session")
def snapshot() -> Callable[[Path], dict[str, tuple[object, ...]]]:
    return tree_of


@pytest.fixture(scope="session")
def unpack_archive() -> Callable[[Path, Path], Path]:
    return extract_layer


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


@pytest.fixture(scope="session")
def token_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenService]:
    with token_service_running(tmp_path_factory.mktemp("token")) as service:
        yield service


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


@pytest.fixture(scope="session")
def basic_registry(
    registry_storage: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """``127.0.0.1:PORT`` of a registry with htpasswd (basic) auth for alice/s3cret."""
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


@pytest.fixture
def docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty docker client config (DOCKER_CONFIG) and a private MIKRODOCK_HOME."""
    folder = tmp_path / "docker-config"
    folder.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(folder))
    monkeypatch.setenv("MIKRODOCK_HOME", str(tmp_path / "home"))
    return folder
