"""Options and helpers shared by the CLI modules: router selection, secrets, output."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import re
import sys
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, replace
from typing import Annotated, Any, TypeVar, get_type_hints

import typer
from typer.core import TyperCommand

from mikrodock.contexts import Target, resolve_target
from mikrodock.errors import UsageError

__all__ = [
    "ChrOpt",
    "Command",
    "ContextOpt",
    "FollowOpt",
    "HostOpt",
    "InsecureOpt",
    "JsonOpt",
    "PasswordStdinOpt",
    "RouterOptions",
    "RouterUserOpt",
    "SinceOpt",
    "TailOpt",
    "TimestampsOpt",
    "TlsPinOpt",
    "UserAliasOpt",
    "UserOpt",
    "print_json",
    "read_secret",
    "router_options",
    "run",
    "target_from_options",
    "with_router",
]

T = TypeVar("T")

_HOST_HELP = "Router URL, e.g. https://192.168.88.1 (overrides contexts)."
_CONTEXT_HELP = "Use this saved context instead of the current one."

HostOpt = Annotated[
    str | None,
    typer.Option("-H", "--host", help=_HOST_HELP, envvar="MIKRODOCK_HOST", show_default=False),
]
ContextOpt = Annotated[
    str | None,
    typer.Option("--context", help=_CONTEXT_HELP, envvar="MIKRODOCK_CONTEXT", show_default=False),
]
_HostNoEnvOpt = Annotated[
    str | None, typer.Option("-H", "--host", help=_HOST_HELP, show_default=False)
]
_ContextNoEnvOpt = Annotated[
    str | None, typer.Option("--context", help=_CONTEXT_HELP, show_default=False)
]
RouterUserOpt = Annotated[
    str | None,
    typer.Option(
        "--router-user", help="Router user name for -H (default admin).", show_default=False
    ),
]
UserOpt = RouterUserOpt
"""The router user: spelled ``--router-user`` everywhere (``-u`` is docker's container user)."""
UserAliasOpt = Annotated[str | None, typer.Option("--user", "-u", hidden=True, show_default=False)]
"""The older spelling of ``--router-user``, still accepted (not shown) where ``-u`` is free."""
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
FollowOpt = Annotated[bool, typer.Option("-f", "--follow", help="Keep printing new lines.")]
SinceOpt = Annotated[
    str | None,
    typer.Option(
        "--since",
        help="Only lines since then: 10m, 1h or 2026-01-02T10:00.",
        metavar="<when>",
        show_default=False,
    ),
]
TailOpt = Annotated[
    str | None,
    typer.Option(
        "-n",
        "--tail",
        help="Only the last N lines (of each container), or all (the default).",
        metavar="<N|all>",
        show_default=False,
    ),
]
TimestampsOpt = Annotated[
    bool, typer.Option("-t", "--timestamps", help="Show the router's time of each line.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
ChrOpt = Annotated[
    str | None,
    typer.Option(
        "--chr", help="Use the local CHR machine NAME (see mikrodock chr ls).", show_default=False
    ),
]


_LIST_TYPE = re.compile(r"<list\[(\w+)\]>")


class Command(TyperCommand):
    """A command whose help shows a repeatable option's or a variadic argument's item type
    (``command... <str>``), not the Python type of the whole list (``<list[str]>``)."""

    def format_options(self, ctx: Any, formatter: Any) -> None:
        args: list[tuple[str, str]] = []
        opts: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            shown = (_LIST_TYPE.sub(r"<\1>", record[0]), record[1])
            (args if param.param_type_name == "argument" else opts).append(shown)
        for title, rows in (("Arguments", args), ("Options", opts)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


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


@dataclass(frozen=True)
class RouterOptions:
    """Which router a command talks to, as its flags said (see :func:`router_options`)."""

    host: str | None = None
    context: str | None = None
    chr_name: str | None = None
    router_user: str | None = None
    password_stdin: bool = False
    insecure: bool = False
    tls_pin: bool = False

    @classmethod
    def take(cls, values: dict[str, Any]) -> RouterOptions:
        """Pop the router options out of a command's keyword arguments."""
        user, alias = values.pop("router_user", None), values.pop("user_alias", None)
        if user and alias and user != alias:
            raise UsageError("--router-user and --user both given", hint="give --router-user once")
        return cls(
            host=values.pop("host", None),
            context=values.pop("context", None),
            chr_name=values.pop("chr_name", None),
            router_user=user or alias,
            password_stdin=bool(values.pop("password_stdin", False)),
            insecure=bool(values.pop("insecure", False)),
            tls_pin=bool(values.pop("tls_pin", False)),
        )

    def over(self, base: RouterOptions) -> RouterOptions:
        """These options where given, ``base``'s elsewhere (a subcommand's win over its
        group's). Naming the router (-H, --context or --chr) replaces the group's choice."""
        merged = base
        if self.host or self.context or self.chr_name:
            merged = replace(merged, host=self.host, context=self.context, chr_name=self.chr_name)
        if self.router_user:
            merged = replace(merged, router_user=self.router_user)
        if self.insecure or self.tls_pin:
            merged = replace(merged, insecure=self.insecure, tls_pin=self.tls_pin)
        if self.password_stdin:
            merged = replace(merged, password_stdin=True)
        return merged

    def target(self) -> Target:
        return target_from_options(
            host=self.host,
            context=self.context,
            user=self.router_user,
            password_stdin=self.password_stdin,
            insecure=self.insecure,
            tls_pin=self.tls_pin,
            chr_name=self.chr_name,
        )


def router_options(
    fn: Callable[..., Any], *, envvars: bool = True, user_alias: bool = False
) -> Callable[..., Any]:
    """``fn`` with the router options appended as keyword parameters; they arrive in its
    ``**router`` (read them with :meth:`RouterOptions.take`). Without ``envvars`` -H and
    --context do not read MIKRODOCK_HOST/MIKRODOCK_CONTEXT (for options repeated on a
    subcommand, where the group's own already did). ``user_alias`` also accepts the hidden
    older spelling ``-u/--user``."""
    hints = get_type_hints(fn, include_extras=True)
    params = [
        p.replace(annotation=hints.get(p.name, p.annotation))
        for p in inspect.signature(fn).parameters.values()
        if p.kind is not inspect.Parameter.VAR_KEYWORD
    ]
    host: Any = HostOpt if envvars else _HostNoEnvOpt
    context: Any = ContextOpt if envvars else _ContextNoEnvOpt
    extra: list[tuple[str, Any, Any]] = [
        ("host", host, None),
        ("context", context, None),
        ("chr_name", ChrOpt, None),
        ("router_user", RouterUserOpt, None),
        ("password_stdin", PasswordStdinOpt, False),
        ("insecure", InsecureOpt, False),
        ("tls_pin", TlsPinOpt, False),
    ]
    if user_alias:
        extra.insert(4, ("user_alias", UserAliasOpt, None))
    params += [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=ann)
        for name, ann, default in extra
    ]

    def wrapper(**kwargs: Any) -> Any:
        return fn(**kwargs)

    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    wrapper.__doc__ = fn.__doc__
    wrapper.__name__ = fn.__name__
    return wrapper


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
