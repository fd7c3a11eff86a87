"""``/file`` and ``/tool/fetch``: the router's files, and the one way to get big ones in.

``PUT /rest/file {"name":..., "contents":...}`` stores a text file (as RouterOS 7.x does);
directories come from ``type=directory`` or appear as parents of a stored file. Records show
``name``, ``type``, ``size``, ``last-modified`` and, for small text files, ``contents``.

``/tool/fetch url=http://127.0.0.1:PORT/... dst-path=...`` really downloads, but only from
this machine (``127.0.0.1``, ``localhost``, ``::1``): the simulator never reaches the network.
Binary files (images, ``.npk`` packages) arrive this way, or through the Python API
(:func:`put_file`) and the sim-only ``PUT /sim/files/<name>``.
"""

from __future__ import annotations

import base64
import contextlib
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mikrodock.sim.base import MenuSpec, bad_request
from mikrodock.sim.state import Item

if TYPE_CHECKING:
    from mikrodock.sim.router import SimRouter

__all__ = ["file_bytes", "find_file", "put_file", "specs"]

CONTENTS_LIMIT = 64 * 1024
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_TYPES = {"npk": "package", "tar": ".tar file", "rsc": "script", "backup": "backup"}


def _stamp(router: SimRouter) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(router.now()))


def _kind(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    if "." not in base:
        return "file"
    ext = base.rsplit(".", 1)[-1].lower()
    return _TYPES.get(ext, f".{ext} file")


def _store(router: SimRouter, item: Item, data: bytes) -> None:
    item["_data"] = base64.b64encode(data).decode()
    item["size"] = str(len(data))
    item["last-modified"] = _stamp(router)
    item.pop("contents", None)
    if len(data) <= CONTENTS_LIMIT:
        with contextlib.suppress(UnicodeDecodeError):
            item["contents"] = data.decode("utf-8")


def file_bytes(item: Item) -> bytes:
    return base64.b64decode(item.get("_data", ""))


def find_file(router: SimRouter, name: str) -> Item | None:
    name = name.strip("/")
    return next((i for i in router.state.menu("file").items if i.get("name") == name), None)


def _ensure_parents(router: SimRouter, name: str) -> None:
    parts = name.split("/")[:-1]
    menu = router.state.menu("file")
    for depth in range(1, len(parts) + 1):
        parent = "/".join(parts[:depth])
        if find_file(router, parent) is None:
            menu.add(
                {"name": parent, "type": "directory", "size": "0", "last-modified": _stamp(router)}
            )


def put_file(router: SimRouter, name: str, data: bytes) -> Item:
    """Store ``data`` as file ``name`` (replacing it), with parent directories."""
    name = name.strip("/")
    if not name:
        raise bad_request("missing =name=")
    with router.state.lock:
        _ensure_parents(router, name)
        item = find_file(router, name)
        if item is None:
            item = router.state.menu("file").add({"name": name, "type": _kind(name)})
        _store(router, item, data)
        router.state.touch()
        return item


def _on_add(router: SimRouter, item: Item) -> None:
    name = item.get("name", "").strip("/")
    if not name:
        raise bad_request("missing =name=")
    item["name"] = name
    _ensure_parents(router, name)
    if item.get("type") == "directory":
        item.pop("contents", None)
        item.update(size="0", **{"last-modified": _stamp(router)})
        return
    item["type"] = _kind(name)
    _store(router, item, item.get("contents", "").encode())


def _on_set(router: SimRouter, item: Item, props: dict[str, str]) -> None:
    if "contents" in props:
        _store(router, item, props.pop("contents").encode())


def _on_remove(router: SimRouter, item: Item) -> None:
    if item.get("type") == "directory":
        prefix = item["name"] + "/"
        menu = router.state.menu("file")
        for child in [i for i in menu.items if i.get("name", "").startswith(prefix)]:
            menu.remove(child)


def _fetch_url(args: dict[str, str]) -> str:
    if args.get("url"):
        return args["url"]
    address = args.get("address") or args.get("host")
    if not address:
        raise bad_request("missing =url=")
    mode = args.get("mode", "http")
    port = f":{args['port']}" if args.get("port") else ""
    return f"{mode}://{address}{port}/{args.get('src-path', '').lstrip('/')}"


async def _fetch(router: SimRouter, args: dict[str, str]) -> list[dict[str, Any]]:
    if not router.device_mode_allows("fetch"):
        raise bad_request("not allowed by device-mode")
    url = _fetch_url(args)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.hostname not in _LOCAL_HOSTS:
        raise bad_request(f"failure: the simulator fetches only from 127.0.0.1, not {url}")
    where = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
    auth = (args["user"], args.get("password", "")) if args.get("user") else None
    headers = dict(
        h.split(":", 1) for h in args.get("http-header-field", "").split(",") if ":" in h
    )
    import httpx  # only fetch needs it; keeps `import mikrodock.sim` light

    started = time.monotonic()
    try:
        async with httpx.AsyncClient(
            timeout=50.0,
            verify=args.get("check-certificate", "no") in ("yes", "true"),
            auth=auth,
        ) as client:
            response = await client.request(
                args.get("http-method", "get").upper(),
                url,
                content=args.get("http-data") or None,
                headers=headers,
            )
    except httpx.HTTPError as error:
        raise bad_request(f"failure: connection failed: {where} ({error})") from error
    if response.status_code >= 400:
        reason = response.reason_phrase
        raise bad_request(
            f"failure: closing connection: <{response.status_code} {reason}> {where} (4)"
        )
    data = response.content
    kib = str(len(data) // 1024)
    result: dict[str, Any] = {
        "status": "finished",
        "downloaded": kib,
        "total": kib,
        "duration": f"{max(1, round(time.monotonic() - started))}s",
    }
    output = args.get("output", "file")
    if output == "user":
        result["data"] = data.decode("utf-8", "replace")
    elif output == "file":
        name = args.get("dst-path") or parts.path.rsplit("/", 1)[-1] or "index.html"
        put_file(router, name, data)
    return [result]


def specs() -> list[MenuSpec]:
    return [
        MenuSpec("file", unique="name", on_add=_on_add, on_set=_on_set, on_remove=_on_remove),
        MenuSpec("tool", kind="commands", commands={"fetch": _fetch}),
    ]
