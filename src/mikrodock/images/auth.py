"""Registry credentials and auth challenges.

Credentials come from the docker client's config (``$DOCKER_CONFIG/config.json`` or
``~/.docker/config.json``): ``credHelpers``/``credsStore`` through the ``docker-credential-*``
helper program (the secret arrives on its stdout, never in argv), else ``auths`` entries with a
base64 ``auth`` or ``username``/``password``. Docker Hub is stored under
``https://index.docker.io/v1/``.

:func:`parse_challenge` reads a ``WWW-Authenticate`` header (``Bearer realm="...",service="..."``).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from mikrodock.errors import ConfigError
from mikrodock.images.reference import DOCKER_HUB

__all__ = ["Challenge", "Credentials", "docker_config_path", "load_credentials", "parse_challenge"]

_HUB_KEYS = ("https://index.docker.io/v1/", "index.docker.io", "docker.io", DOCKER_HUB)


@dataclass(frozen=True)
class Credentials:
    """A user name and a secret (password or token); the secret never shows in ``repr``."""

    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class Challenge:
    """What a 401 asks for: ``scheme`` (``bearer`` or ``basic``) and its parameters."""

    scheme: str
    params: dict[str, str]


_PARAM = re.compile(r'([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))')


def parse_challenge(header: str) -> Challenge | None:
    """The first challenge in a ``WWW-Authenticate`` header, or None when there is none."""
    header = header.strip()
    if not header:
        return None
    scheme, _, rest = header.partition(" ")
    params = {
        match.group(1).lower(): (
            re.sub(r"\\(.)", r"\1", match.group(2))
            if match.group(2) is not None
            else match.group(3)
        )
        for match in _PARAM.finditer(rest)
    }
    return Challenge(scheme.lower(), params)


def docker_config_path() -> Path:
    """Where the docker client keeps its config."""
    base = os.environ.get("DOCKER_CONFIG")
    return Path(base) / "config.json" if base else Path.home() / ".docker" / "config.json"


def _server_key(key: str) -> str:
    key = key.strip().lower()
    key = re.sub(r"^[a-z]+://", "", key)
    return key.split("/", 1)[0]


def _keys_for(registry: str) -> tuple[str, ...]:
    return _HUB_KEYS if registry == DOCKER_HUB else (registry,)


def _from_helper(helper: str, server: str) -> Credentials | None:
    program = shutil.which(f"docker-credential-{helper}")
    if program is None:
        return None
    try:
        done = subprocess.run(
            [program, "get"], input=server, capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    try:
        data = json.loads(done.stdout)
    except json.JSONDecodeError:
        return None
    user, secret = data.get("Username"), data.get("Secret")
    if not isinstance(user, str) or not isinstance(secret, str) or not secret:
        return None
    return Credentials(user, secret)


def _from_auth_entry(entry: object, source: Path) -> Credentials | None:
    if not isinstance(entry, dict):
        return None
    auth = entry.get("auth")
    if isinstance(auth, str) and auth:
        try:
            user, sep, password = base64.b64decode(auth).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"{source}: an 'auth' entry is not base64 of user:password",
                hint="log in again with docker login, or fix the entry",
            ) from exc
        if sep:
            return Credentials(user, password)
    name, secret = entry.get("username"), entry.get("password")
    if isinstance(name, str) and isinstance(secret, str) and secret:
        return Credentials(name, secret)
    return None


def load_credentials(registry: str, config: Path | None = None) -> Credentials | None:
    """Credentials the docker config holds for ``registry`` (``ghcr.io``, ``localhost:5000``)."""
    path = config or docker_config_path()
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(
            f"cannot read docker config {path}: {exc}",
            hint="fix or remove the file, or set DOCKER_CONFIG to another folder",
        ) from exc
    if not isinstance(data, dict):
        return None
    wanted = {_server_key(key) for key in _keys_for(registry)}
    helpers = data.get("credHelpers")
    if isinstance(helpers, dict):
        for key, helper in helpers.items():
            if _server_key(key) in wanted and isinstance(helper, str):
                found = _from_helper(helper, key)
                if found:
                    return found
    auths = data.get("auths")
    if isinstance(auths, dict):
        for key, entry in auths.items():
            if _server_key(key) in wanted:
                found = _from_auth_entry(entry, path)
                if found:
                    return found
    store = data.get("credsStore")
    if isinstance(store, str) and store:
        for key in _keys_for(registry):
            found = _from_helper(store, key)
            if found:
                return found
    return None
