"""One way from a resolved router target to a client: :func:`connect` (async) and
:func:`connect_sync` (blocking).

A target is anything with ``url``, ``user``, ``password`` and ``tls`` (the CLI's
:class:`mikrodock.contexts.Target`, a CHR machine's record, a test's simulator). The URL's
scheme picks the transport: ``http://`` and ``https://`` speak REST, ``api://`` and
``api-ssl://`` the RouterOS API protocol (ports 8728 and 8729); callers see the same
:class:`~mikrodock.routeros.client.AsyncRouterClient` either way.

Timeouts come from the caller, else from ``MIKRODOCK_TIMEOUT`` (see
:meth:`~mikrodock.routeros.client.Timeouts.from_env`), else the defaults.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Protocol

from mikrodock.routeros.client import AsyncRouterClient, RouterClient, Timeouts
from mikrodock.routeros.retry import RetryPolicy
from mikrodock.routeros.tls import KnownHosts

__all__ = ["Endpoint", "RouterTarget", "connect", "connect_sync"]


class RouterTarget(Protocol):
    """What :func:`connect` needs to know about a router."""

    @property
    def url(self) -> str: ...

    @property
    def user(self) -> str: ...

    @property
    def password(self) -> str: ...

    @property
    def tls(self) -> str: ...


@dataclass(frozen=True)
class Endpoint:
    """A plain target for code that has no richer one (a CHR machine, a test)."""

    url: str
    user: str = "admin"
    password: str = ""
    tls: str = "verify"

    def __repr__(self) -> str:  # never the password
        return f"Endpoint(url={self.url!r}, user={self.user!r}, tls={self.tls!r})"


def connect(
    target: RouterTarget,
    *,
    timeouts: Timeouts | None = None,
    retry: RetryPolicy | None = None,
    ca_file: str | os.PathLike[str] | None = None,
    known_hosts: KnownHosts | None = None,
) -> AsyncRouterClient:
    """An async client for ``target`` (use ``async with`` or call ``aclose``)."""
    return AsyncRouterClient(
        target.url,
        target.user,
        target.password,
        **_options(target, timeouts, retry, ca_file, known_hosts),
    )


def connect_sync(
    target: RouterTarget,
    *,
    timeouts: Timeouts | None = None,
    retry: RetryPolicy | None = None,
    ca_file: str | os.PathLike[str] | None = None,
    known_hosts: KnownHosts | None = None,
) -> RouterClient:
    """A blocking client for ``target`` (use ``with`` or call ``close``)."""
    return RouterClient(
        target.url,
        target.user,
        target.password,
        **_options(target, timeouts, retry, ca_file, known_hosts),
    )


def _options(
    target: RouterTarget,
    timeouts: Timeouts | None,
    retry: RetryPolicy | None,
    ca_file: str | os.PathLike[str] | None,
    known_hosts: KnownHosts | None,
) -> dict[str, Any]:
    """The keyword arguments both clients take, with the timeouts from the environment."""
    return {
        "tls": target.tls,
        "ca_file": ca_file,
        "known_hosts": known_hosts,
        "timeouts": timeouts or Timeouts.from_env(),
        "retry": retry,
    }
