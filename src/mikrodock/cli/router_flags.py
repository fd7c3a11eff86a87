"""The router options, declared once: ``-H/--host``, ``--context``, ``--chr``, ``--router-user``,
``--password-stdin``, ``--insecure``, ``--tls-pin`` and ``--timeout``.

Like docker's global options they go before the command (``mikrodock -H URL ps``); unlike
docker's they may also follow it (``mikrodock ps -H URL``): the root group takes them, and every
command marked with :func:`router_command` gets the same options appended when it is loaded.
Each level stores what it was given; :func:`router_choice` merges them once (the innermost wins,
and naming the router with -H, --context or --chr there replaces an outer level's choice), and
:func:`router_target` turns that into the one :class:`~mikrodock.contexts.Target` of the command.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Annotated, Any, TypeVar

import typer

from mikrodock.cli import _click as click
from mikrodock.errors import UsageError

__all__ = [
    "RouterChoice",
    "add_router_options",
    "read_secret",
    "router_choice",
    "router_command",
    "router_options",
    "router_target",
]

F = TypeVar("F", bound=Callable[..., Any])

_KEY = "mikrodock.router"
_MARK = "mikrodock_router_command"
_TARGET = "mikrodock.target"


@dataclass(frozen=True)
class RouterChoice:
    """Which router a command talks to and how, as the options (at any level) said."""

    host: str | None = None
    context: str | None = None
    chr_name: str | None = None
    router_user: str | None = None
    password_stdin: bool = False
    insecure: bool = False
    tls_pin: bool = False
    timeout: float | None = None
    """Seconds for connecting and for each request (None: the client's defaults)."""
    tls_pin_fingerprint: str | None = None
    """With --tls-pin: the certificate fingerprint to pin (needed without a terminal)."""

    def over(self, base: RouterChoice) -> RouterChoice:
        """These options where given, ``base``'s elsewhere. Naming the router here (-H,
        --context or --chr) replaces ``base``'s choice of router."""
        merged = base
        if self.host or self.context or self.chr_name:
            merged = replace(merged, host=self.host, context=self.context, chr_name=self.chr_name)
        if self.insecure or self.tls_pin:
            merged = replace(merged, insecure=self.insecure, tls_pin=self.tls_pin)
        for name in ("router_user", "timeout", "tls_pin_fingerprint"):
            if getattr(self, name) is not None:
                merged = replace(merged, **{name: getattr(self, name)})
        if self.password_stdin:
            merged = replace(merged, password_stdin=True)
        return merged


def _store(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if value is None or value is False or param.name is None:
        return value
    if param.name == "timeout" and not value > 0:
        raise click.BadParameter("give a number of seconds above 0", ctx, param)  # type: ignore[arg-type]
    if param.name == "tls_pin_fingerprint":
        from mikrodock.cli import tls_pin

        tls_pin.parse(value)  # a bad one is refused whatever the command
    levels: dict[int, dict[str, Any]] = ctx.meta.setdefault(_KEY, {})
    depth = 0
    parent = ctx.parent
    while parent is not None:
        depth, parent = depth + 1, parent.parent
    given = levels.setdefault(depth, {})
    name = "router_user" if param.name == "user_alias" else param.name
    if name in given and given[name] != value:
        raise click.UsageError("--router-user and --user both given; give --router-user once", ctx)
    given[name] = value
    return value


def _declared(
    host: Annotated[
        str | None,
        typer.Option(
            "-H",
            "--host",
            help="Router URL, e.g. https://192.168.88.1 (overrides contexts).",
            envvar="MIKRODOCK_HOST",
            metavar="URL",
            show_default=False,
        ),
    ] = None,
    context: Annotated[
        str | None,
        typer.Option(
            "--context",
            help="Use this saved context instead of the current one.",
            envvar="MIKRODOCK_CONTEXT",
            metavar="NAME",
            show_default=False,
        ),
    ] = None,
    chr_name: Annotated[
        str | None,
        typer.Option(
            "--chr",
            help="Use the local CHR machine NAME (see mikrodock chr ls).",
            metavar="NAME",
            show_default=False,
        ),
    ] = None,
    router_user: Annotated[
        str | None,
        typer.Option(
            "--router-user",
            help="Router user name (default admin).",
            metavar="USER",
            show_default=False,
        ),
    ] = None,
    user_alias: Annotated[
        str | None, typer.Option("--user", "-u", hidden=True, show_default=False)
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the router password from stdin (else MIKRODOCK_PASSWORD, or a prompt on"
            " a terminal).",
        ),
    ] = False,
    insecure: Annotated[
        bool, typer.Option("--insecure", "-k", help="Do not verify the router's TLS certificate.")
    ] = False,
    tls_pin: Annotated[
        bool,
        typer.Option(
            "--tls-pin",
            help="Trust the router's self-signed certificate on first use and refuse it if it"
            " changes (like ssh known_hosts).",
        ),
    ] = False,
    tls_pin_fingerprint: Annotated[
        str | None,
        typer.Option(
            "--tls-pin-fingerprint",
            envvar="MIKRODOCK_TLS_PIN_FINGERPRINT",
            metavar="SHA256",
            help="With --tls-pin: the certificate fingerprint to pin (needed without a terminal).",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            help="Seconds to wait for the router to connect and to answer each request"
            " (or set MIKRODOCK_TIMEOUT).",
            envvar="MIKRODOCK_TIMEOUT",
            metavar="SECONDS",
            show_default=False,
        ),
    ] = None,
) -> None:
    """The router options as typer declares them (read by :func:`router_options`)."""


@functools.cache
def router_options(*, root: bool) -> list[Any]:
    """The option objects (built once, shared by every command: click only reads them); only
    the root's (``root``) read the MIKRODOCK_HOST, MIKRODOCK_CONTEXT and MIKRODOCK_TIMEOUT
    variables."""
    app = typer.Typer(add_completion=False)
    app.command()(_declared)
    command = typer.main.get_command(app)
    click.light_coercion(command)
    params = list(command.params)
    for param in params:
        param.expose_value = False
        param.callback = _store
        if not root:
            param.envvar = None
    return params


def router_command(fn: F) -> F:
    """Mark a command function as one that talks to a router: it gets the router options."""
    setattr(fn, _MARK, True)
    return fn


def add_router_options(command: click.Command) -> None:
    """Give ``command`` and every marked command under it the router options (an option
    whose name the command uses itself, e.g. ``run -u``, is left out there)."""
    if getattr(command.callback, _MARK, False):
        taken = {opt for param in command.params for opt in param.opts}
        command.params.extend(
            param for param in router_options(root=False) if not taken.intersection(param.opts)
        )
    for sub in getattr(command, "commands", {}).values():
        add_router_options(sub)


def router_choice(ctx: click.Context | None = None) -> RouterChoice:
    """The router options of the running command, merged over all levels."""
    ctx = ctx or click.get_current_context()
    levels: dict[int, dict[str, Any]] = ctx.meta.get(_KEY, {})
    choice = RouterChoice()
    names = {f.name for f in fields(RouterChoice)}
    for depth in sorted(levels):
        level = {k: v for k, v in levels[depth].items() if k in names}
        choice = RouterChoice(**level).over(choice)
    return choice


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
        return str(click.prompt(prompt, hide_input=True, default="", show_default=False))
    return None


def router_target(choice: RouterChoice | None = None) -> Any:
    """The router the running command talks to (a :class:`mikrodock.contexts.Target`),
    resolved once per command."""
    ctx = click.get_current_context(silent=True)
    if choice is None and ctx is not None and _TARGET in ctx.meta:
        return ctx.meta[_TARGET]  # once: the password may come from stdin
    target = _resolve(choice or router_choice())
    if choice is None and ctx is not None:
        ctx.meta[_TARGET] = target
    return target


def _resolve(choice: RouterChoice) -> Any:
    from mikrodock.cli import tls_pin
    from mikrodock.contexts import Target, resolve_target

    tls_pin.install(tls_pin.parse(choice.tls_pin_fingerprint))

    if choice.chr_name:
        if choice.host or choice.context:
            raise UsageError("--chr with -H or --context", hint="name the router one way only")
        from mikrodock.chr.api import Machine

        machine = Machine(choice.chr_name)
        return Target(
            machine.url, machine.user, machine.password, "verify", f"chr {choice.chr_name}"
        )
    if choice.insecure and choice.tls_pin:
        raise UsageError("--insecure and --tls-pin both given", hint="choose one")
    password = None
    if choice.host or choice.password_stdin or "MIKRODOCK_PASSWORD" in os.environ:
        password = read_secret(from_stdin=choice.password_stdin, prompt="Router password")
    if choice.host and password is None:
        raise UsageError(
            "no password for the router given (and no terminal to ask on)",
            hint="pipe it in with --password-stdin or set MIKRODOCK_PASSWORD"
            " (MIKRODOCK_PASSWORD= for an empty one)",
        )
    tls = "insecure" if choice.insecure else "pin" if choice.tls_pin else None
    return resolve_target(
        host=choice.host,
        context=choice.context,
        user=choice.router_user,
        password=password,
        tls=tls,
    )
