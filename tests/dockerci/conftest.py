"""Helpers for the docker/CI tests: the `mikrodock` CLI with this group's commands in it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest


@dataclass
class Ran:
    exit_code: int
    output: str
    err: str


@pytest.fixture
def cli(run_cli: Any) -> Callable[..., Ran]:
    """Run `mikrodock ARGS...` in this process through the real entry point (error handling
    and exit codes included)."""

    def invoke(*args: str) -> Ran:
        return Ran(*run_cli(*args))

    return invoke


@pytest.fixture
def upgrade_host(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A local stand-in for MikroTik's upgrade host: `NEWESTa7.stable` answers 7.21.3
    (127.0.0.1 only; stops when the test ends)."""
    answers = {"/NEWESTa7.stable": b"7.21.3 1766000000", "/NEWESTa7.long-term": b"7.16.2 1"}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = answers.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("MIKRODOCK_UPGRADE_URL", url)
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def podman_ready(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Podman with the settings that work on these machines (a containers.conf this session
    writes, named in CONTAINERS_CONF); skips the test, saying why, where podman cannot run."""
    import os

    from . import podman_kit

    conf = tmp_path_factory.mktemp("podman") / "containers.conf"
    conf.write_text(podman_kit.CONTAINERS_CONF)
    before = os.environ.get("CONTAINERS_CONF")
    os.environ["CONTAINERS_CONF"] = str(conf)
    try:
        reason = podman_kit.why_no_podman()
        if reason:
            pytest.skip(reason)
        yield
    finally:
        if before is None:
            os.environ.pop("CONTAINERS_CONF", None)
        else:
            os.environ["CONTAINERS_CONF"] = before


def _build_chr_image(
    persistent_cache: Path, work: Path, tag: str, *, snapshot: bool = False, snapshot_nics: int = 0
) -> str:
    """Build `mikrodock chr dockerfile`'s image around the test guest as ``tag`` with podman,
    from the local Debian base and a wheelhouse (no registry, no package index in the build)."""
    from mikrodock.chr.docker.dockerfile import DockerImageSpec, write_context
    from mikrodock.testing.guest import guest_image

    from . import podman_kit

    base = podman_kit.ensure_base(work)
    wheels = podman_kit.wheelhouse(persistent_cache, work / "wheels")
    guest = guest_image(cache=persistent_cache / "test-guest")
    spec = DockerImageSpec(
        "guest", image_file=guest, base_image=base, wheelhouse=wheels, stop_timeout=20,
        snapshot=snapshot, snapshot_nics=snapshot_nics,
    )  # fmt: skip
    write_context(spec, work / "context")
    podman_kit.build(work / "context", tag)
    return tag


@pytest.fixture(scope="session")
def chr_image_tag(
    podman_ready: None, persistent_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """An image of `mikrodock chr dockerfile` around the test guest (booted cold at start)."""
    work = tmp_path_factory.mktemp("chr-image")
    return _build_chr_image(persistent_cache, work, "localhost/mikrodock-chr-test:guest")


@pytest.fixture(scope="session")
def chr_snapshot_image_tag(
    podman_ready: None, persistent_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """The same image made with `chr dockerfile --snapshot --snapshot-nics 1`: the test guest
    booted once during the build with one data NIC, its memory snapshot baked in and resumed at
    a container's first start (a containerlab node with one link: ``CLAB_INTFS=1``)."""
    work = tmp_path_factory.mktemp("chr-snapshot-image")
    tag = "localhost/mikrodock-chr-test:guest-snapshot"
    return _build_chr_image(persistent_cache, work, tag, snapshot=True, snapshot_nics=1)
