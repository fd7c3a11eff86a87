"""The ownership marks mikrodock leaves on a router: what it made is what it may change.

Kept apart from :mod:`mikrodock.containers.spec` so that reading a router (``ps``) needs no spec
classes.
"""

from __future__ import annotations

__all__ = ["APP_MARKER_PREFIX", "TAG_PREFIX", "app_marker", "tag_for"]

TAG_PREFIX = "mikrodock:"
"""Every object mikrodock creates on a router carries the comment ``mikrodock:<owner>``."""


def tag_for(owner: str) -> str:
    """The ownership comment for objects created for a container (or a network)."""
    return f"{TAG_PREFIX}{owner}"


APP_MARKER_PREFIX = f"# {TAG_PREFIX}"
"""/app records take no comment: the YAML of an /app mikrodock made starts with this line."""


def app_marker(project: str) -> str:
    """The first line of the /app YAML mikrodock writes for ``project``."""
    return f"{APP_MARKER_PREFIX}{project}\n"
