"""The RouterOS REST client: an async core on httpcore and a thin synchronous facade.

::

    async with AsyncRouterClient("https://192.168.88.1", "admin", password, tls="pin") as ros:
        resource = await ros.get("system/resource")
        running = await ros.print("container", proplist=["name", "running"])

    with RouterClient("http://127.0.0.1:8080", "admin", password) as ros:   # same calls, blocking
        ros.add("container/envs", {"list": "web", "key": "PORT", "value": 8080})

Menus are written without a leading slash (``"container/envs"``). Every value goes on the wire
as a RouterOS string (``True`` -> ``"yes"``, ``8080`` -> ``"8080"``, lists comma-joined) and
comes back as one; :mod:`mikrodock.routeros.models` converts at the model boundary.

Failures are translated in one place (:meth:`AsyncRouterClient._send`): a RouterOS error body
becomes :class:`RouterError` (:class:`AuthError` for 401, :class:`NotFoundError` for 404) with
the HTTP status, message and detail (:mod:`mikrodock.routeros.answers`); a connection that
fails, drops or times out becomes :class:`ConnectionFailed`; a pinned certificate that
changed, :class:`CertificateChanged`.
Reads are retried with backoff, writes only when they certainly never left this machine
(:mod:`mikrodock.routeros.retry`). Timeouts stay below RouterOS's own 60 s cut-off.

The synchronous :class:`RouterClient` runs the async core on one private event loop in a daemon
thread (shared by every sync client of the process, :mod:`mikrodock.routeros.loop`) and waits
for each call. That works the same from plain scripts, from pytest, and from code that already
runs inside an event loop (a notebook, an async test), keeps connections pooled between calls,
and never blocks interpreter exit. Its price is one thread hop per call (about 40 us on an idle
machine); ``asyncio.run`` per call would drop the pooled connections and fail inside a running
loop.

TLS (``tls="verify" | "pin" | "insecure"``) is set up by :mod:`mikrodock.routeros.tls`; the
wire spelling of values, paths and the URL by :mod:`mikrodock.routeros.wire`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import time
from collections.abc import AsyncGenerator, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote, urlencode

from mikrodock.errors import (
    UsageError,
)
from mikrodock.routeros.answers import connection_failed, decode, router_error
from mikrodock.routeros.changes import poll_changes
from mikrodock.routeros.loop import run_sync
from mikrodock.routeros.rest_http import REQUEST_ERRORS, Answer, Transport, exchange, open_pool
from mikrodock.routeros.retry import RETRYABLE_STATUSES, RetryPolicy, may_retry
from mikrodock.routeros.timeouts import TIMEOUT_ENV, Timeouts
from mikrodock.routeros.tls import KnownHosts, TLSMode, plain_http_context, ssl_context, tls_mode
from mikrodock.routeros.wire import (
    item_path,
    menu_path,
    split_api_url,
    split_url,
    wire_props,
    wire_value,
)

if TYPE_CHECKING:  # the API protocol's client loads for api:// and api-ssl:// URLs only
    from mikrodock.routeros.api_client import ApiTransport

__all__ = [
    "MAX_CONNECTIONS",
    "TIMEOUT_ENV",
    "AsyncRouterClient",
    "RouterClient",
    "Timeouts",
    "Transport",
    "wire_value",
]

log = logging.getLogger(__name__)

_READ_COMMANDS = frozenset({"print", "get"})

# RouterOS's www service allows 20 sessions by default (``max-sessions``): stay well below, so
# WebFig and other tools still get in while one process drives the router concurrently.
MAX_CONNECTIONS = 10


class AsyncRouterClient:
    """An async RouterOS REST client for one router. Use ``async with`` or call :meth:`aclose`.

    ``tls``: ``"verify"`` (default; against ``ca_file`` when given), ``"pin"`` (trust the
    certificate on first use, see :mod:`mikrodock.routeros.tls`) or ``"insecure"``;
    ``insecure=True`` is short for ``tls="insecure"``.
    """

    def __init__(
        self,
        url: str,
        user: str = "admin",
        password: str = "",
        *,
        insecure: bool = False,
        tls: str | None = None,
        ca_file: str | os.PathLike[str] | None = None,
        known_hosts: KnownHosts | None = None,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        transport: Transport | None = None,
    ) -> None:
        mode = tls_mode(tls, insecure=insecure)
        self._api: ApiTransport | None = None
        api = split_api_url(url)
        if api is not None:  # the API protocol: same calls, another transport
            self._open_api(url, api, user, password, mode, ca_file, known_hosts, timeouts, retry)
            return
        base, url_user, url_password = split_url(url)
        user = user or url_user or "admin"
        password = password or url_password
        self.url = base.router_url
        self.user = user
        self.tls: TLSMode = mode
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()
        verify = plain_http_context()
        if base.scheme == "https":
            port = base.port or 443
            verify = ssl_context(
                mode, host=base.hostname, port=port, ca_file=ca_file, known_hosts=known_hosts
            )
        self._base = base
        # Requests go straight to httpcore's connection pool (TLS, keep-alive, timeouts): a
        # client layer's auth flow, cookie jar and redirect handling are of no use with
        # RouterOS. The credentials become a header once; nothing prints the headers.
        credentials = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        self._headers = [
            (b"Accept", b"application/json"),
            (b"Connection", b"keep-alive"),
            (b"Authorization", f"Basic {credentials}".encode("ascii")),
            (b"User-Agent", b"mikrodock"),
        ]
        self._json_headers = [*self._headers, (b"Content-Type", b"application/json")]
        self._timeout_extension = self.timeouts.as_extension()
        self._transport = transport or open_pool(verify, MAX_CONNECTIONS)
        self._closed = False

    def _open_api(
        self,
        url: str,
        api: tuple[str, str, int],
        user: str,
        password: str,
        mode: TLSMode,
        ca_file: str | os.PathLike[str] | None,
        known_hosts: KnownHosts | None,
        timeouts: Timeouts | None,
        retry: RetryPolicy | None,
    ) -> None:
        scheme, host, port = api
        self.url = f"{scheme}://{host}:{port}"
        self.user = user or "admin"
        self.tls = mode
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()
        context = None
        if scheme == "api-ssl":
            context = ssl_context(
                mode, host=host, port=port, ca_file=ca_file, known_hosts=known_hosts
            )
        from mikrodock.routeros.api_client import ApiTransport

        self._api = ApiTransport(
            self.url, host, port, self.user, password, tls=context,
            connect_timeout=self.timeouts.connect, read_timeout=self.timeouts.read,
            retry=self.retry,
        )  # fmt: skip
        self._closed = False

    def __repr__(self) -> str:  # never the password
        return f"{type(self).__name__}(url={self.url!r}, user={self.user!r}, tls={self.tls!r})"

    async def __aenter__(self) -> AsyncRouterClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close pooled connections. Safe to call twice."""
        if not self._closed:
            self._closed = True
            if self._api is not None:
                await self._api.aclose()
                return
            await self._transport.aclose()

    # -- the calls ---------------------------------------------------------------------------

    async def print(
        self,
        menu: str,
        *,
        proplist: Sequence[str] | None = None,
        query: Sequence[str] | None = None,
        where: Mapping[str, object] | None = None,
    ) -> list[dict[str, str]]:
        """The items of ``menu``. ``where`` filters by equality (``GET ?k=v``); ``query`` takes
        RouterOS API query words (``["name=web", "disabled=no", "#&"]``) and is sent as
        ``POST <menu>/print``; ``proplist`` limits the properties returned."""
        if self._api is not None:
            return await self._api.print(menu, proplist=proplist, query=query, where=where)
        path = menu_path(menu)
        if query is not None:
            body: dict[str, Any] = {
                ".query": [*(f"{k}={wire_value(v)}" for k, v in (where or {}).items()), *query]
            }
            if proplist is not None:
                body[".proplist"] = list(proplist)
            data = await self._send("POST", f"{path}/print", body=body, read=True)
        else:
            params = wire_props(where)
            if proplist is not None:
                params[".proplist"] = ",".join(proplist)
            data = await self._send("GET", path, params=params or None, read=True)
        if isinstance(data, dict):
            return [data]
        return list(data or [])

    async def get(self, menu: str, item_id: str | None = None) -> dict[str, str]:
        """A singleton menu (``system/resource``) or one item of a list menu, by id or name."""
        if self._api is not None:
            return await self._api.get(menu, item_id)
        path = menu_path(menu) if item_id is None else f"{menu_path(menu)}/{item_path(item_id)}"
        data = await self._send("GET", path, read=True)
        if isinstance(data, list):
            if item_id is not None and len(data) == 1:
                return cast(dict[str, str], data[0])
            raise UsageError(
                f"/{menu_path(menu)} is a list menu, not a single object",
                hint="pass an item id, or use print() for all items",
            )
        return cast(dict[str, str], data or {})

    async def add(self, menu: str, props: Mapping[str, object]) -> dict[str, str]:
        """``PUT``: create an item; returns it as RouterOS stored it (with its ``.id``)."""
        if self._api is not None:
            return await self._api.add(menu, props)
        data = await self._send("PUT", menu_path(menu), body=wire_props(props), read=False)
        return cast(dict[str, str], data or {})

    async def set(self, menu: str, item_id: str, props: Mapping[str, object]) -> dict[str, str]:
        """``PATCH``: change properties of one item; returns the whole updated item."""
        if self._api is not None:
            return await self._api.set(menu, item_id, props)
        path = f"{menu_path(menu)}/{item_path(item_id)}"
        data = await self._send("PATCH", path, body=wire_props(props), read=False)
        return cast(dict[str, str], data or {})

    async def remove(self, menu: str, item_id: str) -> None:
        """``DELETE``: remove one item."""
        if self._api is not None:
            return await self._api.remove(menu, item_id)
        await self._send("DELETE", f"{menu_path(menu)}/{item_path(item_id)}", read=False)

    async def command(
        self, menu: str, command: str, args: Mapping[str, object] | None = None
    ) -> Any:
        """``POST <menu>/<command>`` with ``args``; returns the decoded answer (often ``[]``).

        ``print`` and ``get`` count as reads (retried); any other command is a write."""
        if self._api is not None:
            return await self._api.command(menu, command, args)
        name = command.strip("/")
        return await self._send(
            "POST", f"{menu_path(menu)}/{name}", body=wire_props(args), read=name in _READ_COMMANDS
        )

    def follow(
        self, menu: str, item_id: str | None = None, *, only_new: bool = False, poll: float = 1.0
    ) -> AsyncGenerator[dict[str, str], None]:
        """Changes as they happen: the records of ``menu`` (or its one item ``item_id``) first,
        unless ``only_new``, then each one that appears or changes (one removed as ``{".id":
        ID, ".dead": "true"}``), until the caller stops (close it: ``contextlib.aclosing``).
        It begins at the first iteration.
        Over the API protocol RouterOS streams them (``print =follow=``, ended by ``/cancel``);
        over REST the client looks again, quickly at first, then every ``poll`` seconds."""
        if self._api is not None:
            return self._api.follow(menu, item_id, only_new=only_new)
        if item_id is None:
            return poll_changes(lambda: self.print(menu), only_new=only_new, poll=poll)
        item = item_id

        async def look() -> list[dict[str, str]]:
            return [await self.get(menu, item)]  # a removed item raises NotFoundError

        return poll_changes(look, only_new=only_new, poll=poll)

    async def execute(self, script: str) -> str:
        """Run a RouterOS script and return what it printed (``ret``). Sent with ``as-string``,
        so RouterOS waits for the script and returns its output. RouterOS answers 200 even when
        the script fails: the error text is then what comes back."""
        if self._api is not None:
            return await self._api.execute(script)
        data = await self._send(
            "POST", "execute", body={"script": script, "as-string": ""}, read=False
        )
        if isinstance(data, dict):
            return str(data.get("ret", ""))
        return ""

    # -- the one place that talks HTTP ----------------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        read: bool,
    ) -> Any:
        url = self._base.url(path)
        content = None if body is None else json.dumps(body).encode()
        delays = self.retry.delays()
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            try:
                response = await self._exchange(method, url, params, content)
            except REQUEST_ERRORS as exc:
                delay = next(delays, None) if may_retry(exc, read=read) else None
                if delay is None:
                    raise connection_failed(
                        exc, method, f"{self.url}/rest/{path}", attempt, self.timeouts, read=read
                    ) from exc
                log.warning(
                    "%s %s/rest/%s failed (%s); retrying in %.1f s (attempt %d of %d)",
                    method, self.url, path, exc or type(exc).__name__, delay,
                    attempt + 1, self.retry.attempts,
                )  # fmt: skip
                await asyncio.sleep(delay)
                continue
            status = response.status
            log.debug(
                "%s /rest/%s -> %d in %.3fs", method, path, status, time.monotonic() - started
            )
            if status < 400:
                return decode(response, method, path)
            if read and status in RETRYABLE_STATUSES:
                delay = next(delays, None)
                if delay is not None:
                    log.warning(
                        "%s %s/rest/%s answered %d; retrying in %.1f s (attempt %d of %d)",
                        method, self.url, path, status, delay, attempt + 1, self.retry.attempts,
                    )  # fmt: skip
                    await asyncio.sleep(delay)
                    continue
            raise router_error(response, method, path)

    async def _exchange(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        content: bytes | None,
    ) -> Answer:
        """One request and its whole answer (a dropped answer raises like a failed request)."""
        if self._closed:
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        if params:
            url = f"{url}?{urlencode(params, quote_via=quote)}"
        headers = self._headers if content is None else self._json_headers
        return await exchange(
            self._transport, method.encode("ascii"), url, headers, content, self._timeout_extension
        )


# -- the synchronous facade ------------------------------------------------------------------


class RouterClient:
    """The synchronous client: same calls as :class:`AsyncRouterClient`, blocking."""

    def __init__(
        self,
        url: str,
        user: str = "admin",
        password: str = "",
        *,
        insecure: bool = False,
        tls: str | None = None,
        ca_file: str | os.PathLike[str] | None = None,
        known_hosts: KnownHosts | None = None,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        transport: Transport | None = None,
    ) -> None:
        async def open_core() -> AsyncRouterClient:
            return AsyncRouterClient(
                url,
                user,
                password,
                insecure=insecure,
                tls=tls,
                ca_file=ca_file,
                known_hosts=known_hosts,
                timeouts=timeouts,
                retry=retry,
                transport=transport,
            )

        self._core = run_sync(open_core())

    @property
    def url(self) -> str:
        return self._core.url

    @property
    def user(self) -> str:
        return self._core.user

    def __repr__(self) -> str:
        return f"RouterClient(url={self.url!r}, user={self.user!r}, tls={self._core.tls!r})"

    def __enter__(self) -> RouterClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        run_sync(self._core.aclose())

    def print(
        self,
        menu: str,
        *,
        proplist: Sequence[str] | None = None,
        query: Sequence[str] | None = None,
        where: Mapping[str, object] | None = None,
    ) -> list[dict[str, str]]:
        return run_sync(self._core.print(menu, proplist=proplist, query=query, where=where))

    def get(self, menu: str, item_id: str | None = None) -> dict[str, str]:
        return run_sync(self._core.get(menu, item_id))

    def add(self, menu: str, props: Mapping[str, object]) -> dict[str, str]:
        return run_sync(self._core.add(menu, props))

    def set(self, menu: str, item_id: str, props: Mapping[str, object]) -> dict[str, str]:
        return run_sync(self._core.set(menu, item_id, props))

    def remove(self, menu: str, item_id: str) -> None:
        run_sync(self._core.remove(menu, item_id))

    def command(self, menu: str, command: str, args: Mapping[str, object] | None = None) -> Any:
        return run_sync(self._core.command(menu, command, args))

    def execute(self, script: str) -> str:
        return run_sync(self._core.execute(script))
