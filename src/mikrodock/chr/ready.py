"""Waiting for a machine to be ready: ``/rest/system/resource`` answering with board-name.

Two good answers in a row count as ready (the second is sent at once, so it costs one round
trip). While waiting, the QEMU process and its stderr are watched: an exit or an accelerator
failure ends the wait at once with the reason, instead of running into the timeout.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from mikrodock.errors import AuthError

__all__ = ["NotReady", "Watch", "wait_ready"]

_POLL = 0.1


@dataclass
class NotReady(Exception):
    """The wait ended without a ready machine: ``reason`` says why; ``accel_broke`` if KVM/HVF."""

    reason: str
    accel_broke: bool = False

    def __str__(self) -> str:
        return self.reason


Watch = Callable[[], NotReady | None]
"""Called between polls; returns a NotReady when the machine cannot become ready any more."""


def _board(client: httpx.Client, url: str) -> str | None:
    try:
        response = client.get(url)
    except httpx.HTTPError:
        return None
    if response.status_code == 401:
        raise AuthError(
            401,
            "Unauthorized",
            "the machine refused the credentials",
            hint="check the machine's password file",
        )
    if response.status_code != 200:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    board = body.get("board-name") if isinstance(body, dict) else None
    return str(board) if board else None


def wait_ready(
    base_url: str,
    user: str,
    password: str,
    *,
    timeout: float,
    watch: Watch,
) -> dict[str, float]:
    """Block until ready; returns timings (``first_answer``, ``ready`` as time.time() values)."""
    url = f"{base_url}/rest/system/resource"
    deadline = time.monotonic() + timeout
    first: float | None = None
    with httpx.Client(
        auth=(user, password), timeout=httpx.Timeout(3.0, connect=1.0), trust_env=False
    ) as client:
        while True:
            problem = watch()
            if problem is not None:
                raise problem
            if _board(client, url):
                first = first or time.time()
                if _board(client, url):
                    return {"first_answer": first, "ready": time.time()}
            if time.monotonic() > deadline:
                raise NotReady(
                    f"no answer from {url} with board-name after {timeout:.0f} s",
                    accel_broke=False,
                )
            time.sleep(_POLL)
