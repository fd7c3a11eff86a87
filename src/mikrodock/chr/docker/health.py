"""``mikrodock chr health``: the image's HEALTHCHECK, cheap enough to run every few seconds.

True when the machine's QEMU runs, ``chr serve`` has provisioned the router (its marker file in
the machine folder: until then the router may still have RouterOS's empty password) and REST
answers ``/system/resource`` with a board-name. One GET over the standard library's
``http.client`` to the forwarded port on 127.0.0.1, so a check loads no HTTP client library, no
QEMU or RouterOS client code.
"""

from __future__ import annotations

import base64
import http.client
import json
from urllib.parse import urlsplit

from mikrodock.chr.process import running_pid
from mikrodock.chr.state import load_record, password_of
from mikrodock.errors import MikrodockError

__all__ = ["READY_MARKER", "health"]

READY_MARKER = "serving"
"""there while the router is provisioned and running: the health check is false without it"""
_PATH = "/rest/system/resource"


def health(name: str, *, timeout: float = 5.0) -> tuple[bool, str]:
    """(healthy, why) for the machine ``name``."""
    try:
        record = load_record(name)
    except MikrodockError as exc:
        return False, str(exc)
    if not running_pid(record):
        return False, f"{name} is not running"
    if not (record.dir / READY_MARKER).exists():  # booting, or its password not set yet
        return False, f"{name} is starting"
    try:
        password = password_of(record)
    except MikrodockError as exc:
        return False, str(exc)
    where = urlsplit(record.url)
    token = base64.b64encode(f"{record.user}:{password}".encode()).decode()
    connection = http.client.HTTPConnection(
        where.hostname or "127.0.0.1", where.port, timeout=timeout
    )
    try:
        connection.request("GET", _PATH, headers={"Authorization": f"Basic {token}"})
        response = connection.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException) as exc:
        return False, f"no answer from {record.url}{_PATH}: {exc.__class__.__name__}"
    finally:
        connection.close()
    if response.status != 200:
        return False, f"{record.url}{_PATH} answered {response.status}"
    try:
        answer = json.loads(body)
        board = answer.get("board-name")
    except (ValueError, AttributeError):
        board = None
    if not board:
        return False, f"{record.url}{_PATH} answered without board-name"
    return True, f"{name} is ready ({board}, RouterOS {answer.get('version', '?')})"
