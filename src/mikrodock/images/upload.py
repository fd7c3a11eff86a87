"""Getting a file onto a router: a one-shot HTTP server here, ``/tool/fetch`` there.

The server (:mod:`mikrodock.routeros.fetch_source`) serves exactly one file under a random path
and stops when the router has it or the upload fails. The router's copy is checked by size
afterwards.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from mikrodock.errors import ImageError, RouterError
from mikrodock.images.progress import ByteProgress, SilentProgress
from mikrodock.routeros.fetch_source import OneShotServer, local_address_for

__all__ = ["RouterFiles", "upload_file"]


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
    report = progress or SilentProgress()
    key = f"upload {name}"
    report.start(key, f"upload {path.name}", path.stat().st_size)
    try:
        with OneShotServer(path, bind, lambda sent: report.advance(key, sent)) as server:
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
    finally:
        report.finish(key)
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
