"""A local stand-in for MikroTik's download and upgrade hosts (127.0.0.1, stops by itself)."""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


def small_disk(size: int = 2 << 20, fill: bytes = b"\x00") -> bytes:
    """A raw disk with an MBR: one partition entry and the 55AA signature."""
    data = bytearray(fill * size)
    data[446:462] = (
        bytes([0x80, 0, 0, 0, 0x06, 0, 0, 0])
        + (2048).to_bytes(4, "little")
        + ((size // 512 - 2048).to_bytes(4, "little"))
    )
    data[510:512] = b"\x55\xaa"
    return bytes(data)


def zipped(name: str, payload: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(name, payload)
    return buffer.getvalue()


@dataclass
class FakeHost:
    url: str
    files: dict[str, bytes] = field(default_factory=dict)
    cut_after: dict[str, int] = field(default_factory=dict)
    """path -> bytes to send before dropping the connection (once)"""
    requests: list[tuple[str, str]] = field(default_factory=list)
    """(path, Range header)"""


@pytest.fixture
def fake_host() -> Iterator[FakeHost]:
    host = FakeHost(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path
            host.requests.append((path, self.headers.get("Range", "")))
            body = host.files.get(path)
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            start = 0
            ranged = self.headers.get("Range", "")
            if ranged.startswith("bytes="):
                start = int(ranged[6:].split("-")[0])
                if start >= len(body):
                    self.send_response(416)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            part = body[start:]
            self.send_header("Content-Length", str(len(part)))
            self.end_headers()
            cut = host.cut_after.pop(path, None)
            if cut is not None:
                self.wfile.write(part[:cut])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(part)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    host.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield host
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def mikrotik(fake_host: FakeHost, monkeypatch: pytest.MonkeyPatch) -> FakeHost:
    """The fake host wired in as both download and upgrade URL, with 7.21.3 as stable."""
    monkeypatch.setenv("MIKRODOCK_DOWNLOAD_URL", f"{fake_host.url}/routeros")
    monkeypatch.setenv("MIKRODOCK_UPGRADE_URL", f"{fake_host.url}/upgrade")
    fake_host.files["/upgrade/NEWESTa7.stable"] = b"7.21.3 1764670000"
    fake_host.files["/routeros/7.21.3/chr-7.21.3.img.zip"] = zipped(
        "chr-7.21.3.img", small_disk(fill=b"\x01")
    )
    return fake_host


__all__ = ["FakeHost", "small_disk", "zipped"]


@pytest.fixture(scope="session")
def guest_disk(persistent_cache: Path) -> Path:
    """The test guest image (built once, kept between runs)."""
    from mikrodock.testing.guest import guest_image

    return guest_image(cache=persistent_cache / "test-guest")


@pytest.fixture
def no_machines_left() -> Iterator[None]:
    """After the test: every machine this test made is removed (and its QEMU ended)."""
    yield
    from mikrodock.chr import machine
    from mikrodock.chr.status import list_machines

    for item in list_machines():
        machine.remove(item.name, force=True)
