"""Options and helpers shared by the CLI modules: router selection, secrets, output."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any, TypeVar

import typer

from mikrodock.contexts import Target, resolve_target
from mikrodock.errors import UsageError

__all__ = [
    "ChrOpt",
    "ContextOpt",
    "HostOpt",
    "InsecureOpt",
    "JsonOpt",
    "PasswordStdinOpt",
    "TlsPinOpt",
    "UserOpt",
    "print_json",
    "read_secret",
    "run",
    "target_from_options",
    "with_router",
]

T = TypeVar("T")

HostOpt = Annotated[
    str | None,
    typer.Option(
        "-H",
        "--host",
        help="Router URL, e.g. https://192.168.88.1 (overrides contexts).",
        envvar="MIKRODOCK_HOST",
        show_default=False,
    ),
]
ContextOpt = Annotated[
    str | None,
    typer.Option(
        "--context",
        help="Use this saved context instead of the current one.",
        envvar="MIKRODOCK_CONTEXT",
        show_default=False,
    ),
]
UserOpt = Annotated[
    str | None,
    typer.Option("--user", "-u", help="User name for -H (default admin).", show_default=False),
]
PasswordStdinOpt = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from stdin (else MIKRODOCK_PASSWORD,"
        " a prompt on a terminal, or empty).",
    ),
]
InsecureOpt = Annotated[
    bool,
    typer.Option("--insecure", "-k", help="Do not verify the router's TLS certificate."),
]
TlsPinOpt = Annotated[
    bool,
    typer.Option(
        "--tls-pin",
        help="Trust the router's self-signed certificate on first use and"
        " refuse it if it changes (like ssh known_hosts).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
ChrOpt = Annotated[
    str | None,
    typer.Option(
        "--chr", help="Use the local CHR machine NAME (see mikrodock chr ls).", show_default=False
    ),
]


def read_secret(*, from_stdin: bool, prompt: str, env: str = "MIKRODOCK_PASSWORD") -> str | None:
    """A password from stdin, the environment, or a prompt on a terminal; None when none given."""
    if from_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
        if not value and not sys.stdin.isatty():
            return ""
        return value
    if env in os.environ:
        return os.environ[env]
    if sys.stdin.isatty():
        return str(typer.prompt(prompt, hide_input=True, default="", show_default=False))
    return None


def target_from_options(
    *,
    host: str | None,
    context: str | None,
    user: str | None = None,
    password_stdin: bool = False,
    insecure: bool = False,
    tls_pin: bool = False,
    chr_name: str | None = None,
) -> Target:
    if chr_name:
        if host or context:
            raise UsageError("--chr with -H or --context", hint="name the router one way only")
        return _chr_target(chr_name)
    if insecure and tls_pin:
        raise UsageError("--insecure and --tls-pin both given", hint="choose one")
    password = None
    if host or password_stdin or "MIKRODOCK_PASSWORD" in os.environ:
        password = read_secret(from_stdin=password_stdin, prompt="Router password")
    tls = "insecure" if insecure else "pin" if tls_pin else None
    return resolve_target(host=host, context=context, user=user, password=password, tls=tls)


def _chr_target(name: str) -> Target:
    """The local CHR machine ``name`` as a router target (its URL, user and password)."""
    from mikrodock.chr.api import Machine

    machine = Machine(name)
    return Target(machine.url, machine.user, machine.password, "verify", f"chr {name}")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run one coroutine to completion for a CLI command."""
    return asyncio.run(coro)


def with_router(target: Target, action: Callable[[Any], Awaitable[T]]) -> T:
    """Open a client for ``target``, run ``action(client)`` and close the client."""
    from mikrodock.routeros.client import AsyncRouterOS

    async def go() -> T:
        async with AsyncRouterOS(target.url, target.user, target.password, tls=target.tls) as ros:
            return await action(ros)

    return run(go())


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, sort_keys=True, default=str))
