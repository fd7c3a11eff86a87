"""JSON schemas of the /app YAML format, one per RouterOS version that changed it.

Written for mikrodock from the facts in docs/APP-YAML.md (the keys RouterOS documents and the
built-in apps use); kept as Python data so they ship inside the package.
"""

from __future__ import annotations

from typing import Any

from mikrodock.compose.schemas.app_v7_22 import APP_SCHEMA_7_22
from mikrodock.errors import UnsupportedError
from mikrodock.routeros.dialect import Dialect
from mikrodock.routeros.version import RouterOSVersion, parse_version

__all__ = ["app_schema"]


def app_schema(version: RouterOSVersion | str | None = None) -> dict[str, Any]:
    """The /app schema for ``version`` (the newest known when None)."""
    if version is None:
        return APP_SCHEMA_7_22
    parsed = parse_version(version) if isinstance(version, str) else version
    if not Dialect.for_version(parsed).has_app_add:
        raise UnsupportedError(
            f"RouterOS {parsed} has no /app/add: custom /app YAML arrives in RouterOS 7.22",
            hint="upgrade the router to 7.22 or newer, or deploy with --mode containers",
        )
    return APP_SCHEMA_7_22
