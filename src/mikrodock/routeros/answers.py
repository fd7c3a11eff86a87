"""What a RouterOS REST answer means: its JSON body, or the error it reports.

A RouterOS error body (``{"error": 400, "message": "Bad Request", "detail": "..."}``) becomes a
:class:`RouterError` (:class:`AuthError` for 401, :class:`NotFoundError` for 404) carrying the
status, message, detail, method and path, with a hint where the detail has a well-known fix.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from mikrodock.errors import AuthError, ConnectionFailed, NotFoundError, RouterError
from mikrodock.routeros.rest_http import Answer, ConnectTimeout, TimeoutException
from mikrodock.routeros.retry import not_sent
from mikrodock.routeros.timeouts import TIMEOUT_ENV, Timeouts

__all__ = ["DETAIL_HINTS", "connection_failed", "decode", "router_error"]

# RouterOS error details that have a well-known fix.
DETAIL_HINTS = (
    ("unknown parameter", "this RouterOS version does not have that argument"),
    ("not allowed by device-mode", "enable it with /system/device-mode/update, then power-cycle"),
    ("no such command", "this RouterOS version (or its packages) lacks that command"),
)


def decode(response: Answer, method: str, path: str) -> Any:
    """The JSON of a successful answer (None when empty); RouterError when it is not JSON."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError as exc:
        raise RouterError(
            response.status,
            "answer is not JSON",
            response.text[:200],
            method=method,
            path=f"/rest/{path}",
            hint="is this URL a RouterOS router (REST needs RouterOS 7.1 or later)?",
        ) from exc


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


def router_error(response: Answer, method: str, path: str) -> RouterError:
    """The typed error for a failed answer (status 400 and up)."""
    status = response.status
    message, detail = response.reason or _phrase(status), ""
    try:
        body = response.json()
    except ValueError:
        body = None
        detail = response.text.strip()[:200]
    if isinstance(body, dict):
        message = str(body.get("message", message))
        detail = str(body.get("detail", ""))
    where = {"method": method, "path": f"/rest/{path}"}
    if status == 401:
        return AuthError(
            status,
            message,
            detail,
            **where,
            hint="check the user name and password for this router",
        )
    # A menu the router lacks (a package not installed, a newer version's menu) answers 400
    # "no such command or directory (x)" on RouterOS 7; it is as much "not found" as a 404.
    if status == 404 or (status == 400 and detail.startswith("no such command or directory")):
        return NotFoundError(
            status,
            message,
            detail,
            **where,
            hint="no such item or menu on this router: check the name or id (ids like *1F "
            "change after a reboot); some menus come with a package, e.g. /container",
        )
    hint = next((text for key, text in DETAIL_HINTS if key in detail), None)
    return RouterError(status, message, detail, **where, hint=hint)


def connection_failed(
    exc: Exception, method: str, url: str, attempts: int, timeouts: Timeouts, *, read: bool
) -> ConnectionFailed:
    """The one-line error for a REST request that could not be sent or answered."""
    base = url.rsplit("/rest/", 1)[0]
    where = f"{method} {url}"
    if attempts > 1:
        where += f" ({attempts} attempts)"
    if isinstance(exc, TimeoutException):
        what = "connect" if isinstance(exc, ConnectTimeout) else "answer"
        limit = timeouts.connect if what == "connect" else timeouts.read
        message = f"{where}: no {what} within {limit:g} s"
        if what == "connect":
            hint = f"check that the router at {base} is up and reachable"
        elif read:
            hint = (
                "the router accepted the connection but did not answer: check its load and "
                f"its REST service (www/www-ssl), or allow longer with --timeout or "
                f"{TIMEOUT_ENV}"
            )
        else:
            hint = (
                "the change may or may not have been applied; look at the router before "
                f"trying again (allow longer with --timeout or {TIMEOUT_ENV})"
            )
        return ConnectionFailed(message, hint=hint)
    else:
        what = "cannot connect" if not_sent(exc) else "connection lost"
        message = f"{where}: {what} ({type(exc).__name__}: {exc or 'no detail'})"
    if "CERTIFICATE_VERIFY_FAILED" in str(exc):
        hint = (
            "the router's certificate is not signed by a trusted CA: pass its CA file, "
            "or trust it on first use (tls=pin / --tls-pin)"
        )
    elif not_sent(exc):
        hint = (
            f"check that the router is up and its REST service (www or www-ssl) listens at {base}"
        )
    elif read:
        hint = "the router stopped answering; check it and try again"
    else:
        hint = "the change may or may not have been applied; look at the router before trying again"
    return ConnectionFailed(message, hint=hint)
