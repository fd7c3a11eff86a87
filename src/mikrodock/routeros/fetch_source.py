"""A file served once to a router's ``/tool/fetch``: RouterOS pulls files, it is not sent them.

The server listens on the address this machine uses to reach the router (loopback for a router
on loopback, such as the simulator or a CHR with forwarded ports), serves exactly one file under
a random path, and stops when closed. Used to put images and packages on routers.
"""

from __future__ import annotations

import http.server
import ipaddress
import secrets
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from mikrodock.errors import ImageError

__all__ = ["OneShotServer", "local_address_for"]

_CHUNK = 1 << 20


def local_address_for(host: str) -> str:
    """The address of this machine that packets to ``host`` leave from."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        try:
            address = ipaddress.ip_address(socket.gethostbyname(host))
        except OSError as exc:
            raise ImageError(f"cannot resolve router host {host}: {exc}") from exc
    if address.is_loopback:
        return "127.0.0.1" if address.version == 4 else "::1"
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect((str(address), 9))
        except OSError as exc:
            raise ImageError(
                f"no route to router {host}: {exc}", hint="check the network to the router"
            ) from exc
        return str(probe.getsockname()[0])


class OneShotServer:
    """Serves ``path`` at a secret URL until :meth:`close`; records whether it was all sent.

    ``on_sent`` is called with the size of each chunk as it goes out (for progress)."""

    def __init__(self, path: Path, bind: str, on_sent: Callable[[int], None] | None = None) -> None:
        self.path = path
        self.size = path.stat().st_size
        self.token = secrets.token_urlsafe(16)
        self.sent_all = threading.Event()
        self._on_sent = on_sent or (lambda _: None)
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                server._serve(self)

        family = socket.AF_INET6 if ":" in bind else socket.AF_INET

        class Server(http.server.ThreadingHTTPServer):
            address_family = family
            daemon_threads = True

        try:
            self._httpd = Server((bind, 0), Handler)
        except OSError as exc:
            raise ImageError(f"cannot listen on {bind}: {exc.strerror}") from exc
        host = f"[{bind}]" if ":" in bind else bind
        port = self._httpd.server_address[1]
        self.url = f"http://{host}:{port}/{self.token}/{quote(path.name)}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def _serve(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        if urlsplit(handler.path).path != urlsplit(self.url).path:
            handler.send_error(404)
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/x-tar")
        handler.send_header("Content-Length", str(self.size))
        handler.end_headers()
        sent = 0
        try:
            with open(self.path, "rb") as source:
                while chunk := source.read(_CHUNK):
                    handler.wfile.write(chunk)
                    sent += len(chunk)
                    self._on_sent(len(chunk))
        except OSError:
            return
        if sent == self.size:
            self.sent_all.set()

    def __enter__(self) -> OneShotServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
