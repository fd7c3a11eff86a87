"""When the REST client may send a request again, and how long it waits before it does.

The rule: a request is repeated only when repeating it cannot change the router twice.

- Reads (``GET``, and ``POST .../print`` or ``.../get``) are repeated after a transport
  failure (refused, reset, dropped) and after a 5xx answer, but not after a timeout: a router
  that does not answer within the timeout fails the call then, instead of after several waits.
- Writes (``PUT``, ``PATCH``, ``DELETE``, any other ``POST`` command, ``/execute``) are repeated
  only when the request certainly never left this machine: the connection could not be opened,
  or no pooled connection became free. Once a write may have been sent, its failure is reported,
  with a hint to look at the router before trying again.
"""

from __future__ import annotations

import random
import ssl
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["NO_RETRY", "RETRYABLE_STATUSES", "RetryPolicy", "may_retry", "not_sent"]

RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})
"""Answers after which a read is repeated."""


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` in all (1 = never repeat); waits ``backoff * factor**n``, capped, jittered."""

    attempts: int = 3
    backoff: float = 0.2
    factor: float = 2.0
    max_delay: float = 3.0

    def delays(self) -> Iterator[float]:
        """The waits before the 2nd, 3rd, ... attempt (``attempts - 1`` of them)."""
        for n in range(max(self.attempts, 1) - 1):
            delay = min(self.backoff * self.factor**n, self.max_delay)
            yield delay * random.uniform(0.5, 1.0)


NO_RETRY = RetryPolicy(attempts=1)


def _tls_failure(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def not_sent(exc: Exception) -> bool:
    """True when the request certainly did not reach the router."""
    from mikrodock.routeros import rest_http  # loaded with the REST client, not the API's

    sent_nothing = rest_http.ConnectError | rest_http.ConnectTimeout | rest_http.PoolTimeout
    return isinstance(exc, sent_nothing)


def may_retry(exc: Exception, *, read: bool) -> bool:
    """Whether a request that failed with ``exc`` may be sent again."""
    from mikrodock.routeros import rest_http

    if _tls_failure(exc):
        return False  # a certificate problem does not go away by asking again
    if isinstance(exc, rest_http.ReadTimeout | rest_http.WriteTimeout | rest_http.ConnectTimeout):
        return False  # unresponsive: the timeout is the user's limit, asking again multiplies it
    if not_sent(exc):
        return True
    if not read:
        return False
    return isinstance(
        exc, rest_http.TimeoutException | rest_http.NetworkError | rest_http.RemoteProtocolError
    )
