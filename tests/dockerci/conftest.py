"""Helpers for the docker/CI tests: the `mikrodock` CLI with this group's commands in it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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
