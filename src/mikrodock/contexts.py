"""Contexts: named routers with their credentials, like ``docker context``.

Stored in ``config_dir()/contexts.json`` with mode 0600 (it holds passwords). One context can be
the current one; router commands use it when neither ``-H`` nor ``--context`` is given.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from mikrodock.errors import ConfigError, UsageError
from mikrodock.paths import atomic_write, config_dir
from mikrodock.routeros.wire import split_url

__all__ = [
    "Context",
    "ContextStore",
    "Target",
    "check_url",
    "resolve_target",
    "shown_url",
    "verify_login",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


@dataclass(frozen=True)
class Context:
    """One router: where it is and how to log in."""

    name: str
    url: str
    user: str
    password: str
    tls: str = "verify"  # verify | pin | insecure

    def __repr__(self) -> str:  # never show the password
        return (
            f"Context(name={self.name!r}, url={shown_url(self.url)!r}, user={self.user!r},"
            f" tls={self.tls!r})"
        )


def shown_url(url: str) -> str:
    """``url`` as it may be printed: a password written into it (an older contexts file may
    hold one) replaced by ``***``."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except (ValueError, TypeError):
        return re.sub(r"//[^/@]*@", "//***@", url)
    if not password:
        return url
    user_info, _, host = parts.netloc.rpartition("@")
    user = user_info.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def check_url(url: str) -> str:
    """Return ``url`` without a trailing slash, or raise UsageError when it is not http(s) or
    carries a password (it would be saved, shown and logged; a user name may stay).
    ``api://`` and ``api-ssl://`` (the RouterOS API protocol) are router URLs too."""
    from mikrodock.routeros.wire import split_api_url

    if split_api_url(url) is not None:  # refuses user@ and password@ itself
        return url.rstrip("/")
    try:
        _base, _user, password = split_url(url)  # the client's own check
    except UsageError:
        if "@" in url:  # the client's message would repeat the URL, password and all
            raise UsageError(
                "not a router URL (the address given with -H or --url)",
                hint="write it like https://192.168.88.1",
            ) from None
        raise
    if password:
        raise UsageError(
            "the router URL holds a password (user:password@): it would end up saved and shown",
            hint="drop it from the URL and give it with --password-stdin, MIKRODOCK_PASSWORD"
            " or the prompt",
        )
    return url.rstrip("/")


def url_user(url: str) -> str:
    """The user name written in ``url`` (``https://ops@router``), or ''."""
    if url.startswith(("api://", "api-ssl://")):
        return ""
    return split_url(url)[1]


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise UsageError(
            f"bad context name: {name!r}",
            hint="use letters, digits, '.', '_' and '-', starting with a letter or digit",
        )
    return name


def verify_login(context: Context) -> None:
    """Log in to the context's router once (read ``/system/identity``); raises the client's
    error, with a hint naming ``--no-verify``, when the router refuses or cannot be reached."""
    from mikrodock.errors import MikrodockError
    from mikrodock.routeros.connect import connect_sync

    try:
        with connect_sync(context) as ros:
            ros.get("system/identity")
    except MikrodockError as exc:
        fix = "check the URL, user and password"
        exc.hint = f"{exc.hint}; or " if exc.hint else ""
        exc.hint += f"{fix}, or save it unchecked with --no-verify"
        raise


class ContextStore:
    """The contexts file: read, change, write back atomically with mode 0600."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / "contexts.json"

    def _load(self) -> dict[str, object]:
        if not self.path.exists():
            return {"current": None, "contexts": {}}
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"cannot read contexts from {self.path}: {exc}",
                hint="fix or remove the file, then add the contexts again",
            ) from exc
        if not isinstance(data, dict) or not isinstance(data.get("contexts"), dict):
            raise ConfigError(
                f"{self.path} is not a mikrodock contexts file",
                hint="remove it and add the contexts again",
            )
        return data

    def _save(self, data: dict[str, object]) -> None:
        atomic_write(self.path, json.dumps(data, indent=2, sort_keys=True) + "\n", mode=0o600)

    def list(self) -> list[Context]:
        data = self._load()
        contexts = data["contexts"]
        assert isinstance(contexts, dict)
        return [Context(**value) for _, value in sorted(contexts.items())]

    def current(self) -> str | None:
        value = self._load().get("current")
        return value if isinstance(value, str) else None

    def get(self, name: str) -> Context:
        for context in self.list():
            if context.name == name:
                return context
        known = ", ".join(c.name for c in self.list()) or "none"
        raise UsageError(
            f"no context named {name!r} (known: {known})",
            hint="add it with: mikrodock context add NAME -H URL --user USER",
        )

    def check(self, context: Context, *, replace: bool = False) -> dict[str, object]:
        """Raise UsageError when ``context`` cannot be added; returns the file's data."""
        check_name(context.name)
        check_url(context.url)
        if context.tls not in ("verify", "pin", "insecure"):
            raise UsageError(f"bad TLS mode {context.tls!r}", hint="use verify, pin or insecure")
        data = self._load()
        contexts = data["contexts"]
        assert isinstance(contexts, dict)
        if context.name in contexts and not replace:
            raise UsageError(
                f"context {context.name!r} exists", hint="remove it first or pass --replace"
            )
        return data

    def add(self, context: Context, *, replace: bool = False) -> None:
        data = self.check(context, replace=replace)
        contexts = data["contexts"]
        assert isinstance(contexts, dict)
        contexts[context.name] = asdict(context)
        if data.get("current") is None:
            data["current"] = context.name
        self._save(data)

    def use(self, name: str) -> None:
        self.get(name)
        data = self._load()
        data["current"] = name
        self._save(data)

    def remove(self, name: str) -> None:
        self.get(name)
        data = self._load()
        contexts = data["contexts"]
        assert isinstance(contexts, dict)
        del contexts[name]
        if data.get("current") == name:
            data["current"] = None
        self._save(data)


@dataclass(frozen=True)
class Target:
    """The router a command talks to, however the user named it."""

    url: str
    user: str
    password: str
    tls: str = "verify"
    source: str = ""  # "context NAME", "-H", "chr NAME": for messages

    def __repr__(self) -> str:
        return f"Target(url={shown_url(self.url)!r}, user={self.user!r}, source={self.source!r})"


def resolve_target(
    *,
    host: str | None,
    context: str | None,
    user: str | None = None,
    password: str | None = None,
    tls: str | None = None,
    store: ContextStore | None = None,
) -> Target:
    """Pick the router: ``-H URL`` wins, then ``--context NAME``, then the current context.

    ``password`` comes from the caller (environment, stdin or a prompt), never from argv.
    """
    if host and context:
        raise UsageError("-H and --context both given", hint="name the router one way only")
    if host:
        url = check_url(host)
        return Target(url, user or url_user(url) or "admin", password or "", tls or "verify", "-H")
    store = store or ContextStore()
    name = context or store.current()
    if not name:
        raise UsageError(
            "no router given",
            hint="pass -H URL, --context NAME, or add one with: mikrodock context add NAME "
            "-H URL --router-user USER",
        )
    ctx = store.get(name)
    return Target(
        ctx.url,
        user or ctx.user,
        password if password is not None else ctx.password,
        tls or ctx.tls,
        f"context {name}",
    )
