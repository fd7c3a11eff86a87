"""The REST client's HTTP: httpcore's connection pool, and an answer read whole.

httpcore is the connection layer httpx is built on: a keep-alive pool, TLS with the context
:mod:`mikrodock.routeros.tls` makes, connect/read/pool timeouts. That is all a RouterOS REST
client needs (no redirects, cookies, auth flows or proxies), and going without httpx's client
layer keeps every one-shot command about 60 ms faster to start: httpx's models import
``http.cookiejar``, ``urllib.request`` and ``email`` before the first request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpcore

__all__ = [
    "REQUEST_ERRORS",
    "Answer",
    "ConnectError",
    "ConnectTimeout",
    "PoolTimeout",
    "ReadTimeout",
    "Transport",
    "WriteTimeout",
    "exchange",
    "open_pool",
]

Transport = httpcore.AsyncConnectionPool
"""What sends the requests: the pool :func:`open_pool` makes, or a test's stand-in (a subclass
of ``httpcore.AsyncConnectionPool`` that counts or records)."""

REQUEST_ERRORS: tuple[type[Exception], ...] = (
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpcore.ProxyError,
)
"""What a request that got no answer raises."""

ConnectError = httpcore.ConnectError
ConnectTimeout = httpcore.ConnectTimeout
PoolTimeout = httpcore.PoolTimeout
ReadTimeout = httpcore.ReadTimeout
WriteTimeout = httpcore.WriteTimeout
TimeoutException = httpcore.TimeoutException
NetworkError = httpcore.NetworkError
RemoteProtocolError = httpcore.RemoteProtocolError


@dataclass(frozen=True)
class Answer:
    """A whole HTTP answer: status, reason phrase and body."""

    status: int
    reason: str
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body as JSON (ValueError when it is not)."""
        return json.loads(self.content)


def open_pool(ssl_context: Any, max_connections: int) -> httpcore.AsyncConnectionPool:
    """A pool of at most ``max_connections`` keep-alive HTTP/1.1 connections (idle ones are
    closed after 5 s, as httpx does), TLS through ``ssl_context``."""
    return httpcore.AsyncConnectionPool(
        ssl_context=ssl_context,
        max_connections=max_connections,
        max_keepalive_connections=max_connections,
        keepalive_expiry=5.0,
    )


async def exchange(
    transport: Transport,
    method: bytes,
    url: str,
    headers: list[tuple[bytes, bytes]],
    content: bytes | None,
    timeouts: dict[str, float],
) -> Answer:
    """One request and its whole answer (an answer cut short raises like a failed request)."""
    response = await transport.request(
        method, url, headers=headers, content=content, extensions={"timeout": timeouts}
    )
    reason = response.extensions.get("reason_phrase", b"")
    return Answer(
        response.status,
        reason.decode("ascii", "replace") if isinstance(reason, bytes) else "",
        response.content,
    )
