"""What a RouterOS REST answer means: its JSON body, or the error it reports.

A RouterOS error body (``{"error": 400, "message": "Bad Request", "detail": "..."}``) becomes a
:class:`RouterError` (:class:`AuthError` for 401, :class:`NotFoundError` for 404) carrying the
status, message, detail, method and path, with a hint where the detail has a well-known fix.
"""

from __future__ import annotations

from typing import Any

import httpx

from mikrodock.errors import AuthError, NotFoundError, RouterError

__all__ = ["DETAIL_HINTS", "decode", "router_error"]

# RouterOS error details that have a well-known fix.
DETAIL_HINTS = (
    ("unknown parameter", "this RouterOS version does not have that argument"),
    ("not allowed by device-mode", "enable it with /system/device-mode/update, then power-cycle"),
    ("no such command", "this RouterOS version (or its packages) lacks that command"),
)


def decode(response: httpx.Response, method: str, path: str) -> Any:
    """The JSON of a successful answer (None when empty); RouterError when it is not JSON."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError as exc:
        raise RouterError(
            response.status_code,
            "answer is not JSON",
            response.text[:200],
            method=method,
            path=f"/rest/{path}",
            hint="is this URL a RouterOS router (REST needs RouterOS 7.1 or later)?",
        ) from exc


def router_error(response: httpx.Response, method: str, path: str) -> RouterError:
    """The typed error for a failed answer (status 400 and up)."""
    status = response.status_code
    message, detail = response.reason_phrase, ""
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
