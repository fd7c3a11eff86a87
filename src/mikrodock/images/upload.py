"""Getting a file onto a router: a one-shot HTTP server here, ``/tool/fetch`` there.

The server listens on the address this machine uses to reach the router (loopback for a router
on loopback, such as the simulator or a CHR with forwarded ports), serves exactly one file under
a random path, and stops when the router has it or the upload fails. The router's copy is
checked by size afterwards.
"""

from __future__ import annotations

import http.server
import ipaddress
import secrets
import socket
import threading
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from mikrodock.errors import ImageError, RouterError
from mikrodock.images.progress import ByteProgress, SilentProgress

__all__ = ["OneShotServer", "RouterFiles", "local_address_for", "upload_file"]

_CHUNK = 1 << 20


class RouterFiles(Protocol):
    """What an upload needs from a RouterOS client (``AsyncRouterClient`` has it)."""

    url: str

    async def command(
        self, menu: str, command: str, args: dict[str, object] | None = None
    ) -> Any: ...

    async def print(
        self,
        menu: str,
        *,
        proplist: list[str] | None = None,
        query: list[str] | None = None,
        where: dict[str, str] | None = None,
    ) -> list[dict[str, str]]: ...


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
    """Serves ``path`` at a secret URL until :meth:`close`; records whether it was all sent."""

    def __init__(self, path: Path, bind: str, progress: ByteProgress | None = None) -> None:
        self.path = path
        self.size = path.stat().st_size
        self.token = secrets.token_urlsafe(16)
        self.sent_all = threading.Event()
        self._progress = progress or SilentProgress()
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
                    self._progress.advance(self.token, len(chunk))
        except OSError:
            return
        if sent == self.size:
            self.sent_all.set()

    def __enter__(self) -> OneShotServer:
        self._progress.start(self.token, f"upload {self.path.name}", self.size)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._progress.finish(self.token)


def _size(record: dict[str, str]) -> int | None:
    text = record.get("size", "").replace(" ", "")
    return int(text) if text.isdigit() else None


async def upload_file(
    ros: RouterFiles,
    path: Path,
    name: str,
    *,
    address: str | None = None,
    progress: ByteProgress | None = None,
) -> str:
    """Put ``path`` on the router as file ``name``; return the router's file name."""
    host = urlsplit(ros.url).hostname or "127.0.0.1"
    bind = address or local_address_for(host)
    with OneShotServer(path, bind, progress) as server:
        fetch: dict[str, object] = {"url": server.url, "dst-path": name, "output": "file"}
        try:
            await ros.command("tool", "fetch", fetch)
        except RouterError as error:
            detail = error.detail or error.message
            raise ImageError(
                f"the router could not fetch {path.name} from {bind}: {detail}",
                hint="the router must reach this machine over HTTP; pass --serve-address"
                " with an address it can reach, or check its firewall",
            ) from error
    found = await ros.print("file", where={"name": name})
    if not found:
        raise ImageError(
            f"the router did not fetch {path.name} from {bind}",
            hint="the router must reach this machine over HTTP; pass --serve-address"
            " with an address it can reach, or check its firewall",
        )
    size = _size(found[0])
    if size is not None and size != server.size:
        raise ImageError(
            f"the router's {name} has {size} bytes, not {server.size}",
            hint="check the router's free disk space and try again",
        )
    return name
