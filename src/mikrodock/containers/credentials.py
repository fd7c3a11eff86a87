"""Registry credentials from Docker's ``~/.docker/config.json``, read only when the user asks.

Only inline ``auths`` entries are read (``{"auths": {"ghcr.io": {"auth": base64(user:pass)}}}``);
credential stores and helpers (``credsStore``, ``credHelpers``) keep secrets elsewhere and are
not queried.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from pathlib import Path

from mikrodock.errors import UsageError
from mikrodock.images.reference import DOCKER_HUB, parse_reference

__all__ = ["docker_config_path", "registry_credentials"]

_HUB_KEYS = ("https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io")


def docker_config_path() -> Path:
    """``$DOCKER_CONFIG/config.json``, else ``~/.docker/config.json``."""
    folder = os.environ.get("DOCKER_CONFIG")
    return Path(folder) / "config.json" if folder else Path.home() / ".docker" / "config.json"


def _keys(registry: str) -> tuple[str, ...]:
    if registry == DOCKER_HUB:
        return _HUB_KEYS
    return (registry, f"https://{registry}", f"http://{registry}", f"https://{registry}/v1/")


def registry_credentials(image: str, path: Path | None = None) -> tuple[str, str]:
    """(user, password) for the registry of ``image``; :class:`UsageError` when there are none."""
    path = path or docker_config_path()
    registry = parse_reference(image).registry
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(
            f"no Docker config at {path}",
            hint="log in with `docker login`, or drop --registry-auth",
        ) from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from exc
    auths = data.get("auths") or {}
    for key in _keys(registry):
        entry = auths.get(key)
        if not isinstance(entry, dict):
            continue
        if entry.get("username") and entry.get("password"):
            return str(entry["username"]), str(entry["password"])
        try:
            user, sep, password = base64.b64decode(entry.get("auth", "")).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            continue
        if sep:
            return user, password
    where = "a credential store" if data.get("credsStore") or data.get("credHelpers") else path
    raise UsageError(
        f"no credentials for {registry} in {path}",
        hint=f"mikrodock reads only inline `auths` entries, not {where}; "
        "run `docker login` with a file store or drop --registry-auth",
    )
