"""Options and helpers shared by the CLI modules: common flags, the router's client, output."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperCommand

from mikrodock.cli.router_flags import read_secret, router_choice, router_command, router_target

__all__ = [
    "Command",
    "FollowOpt",
    "JsonOpt",
    "SinceOpt",
    "TailOpt",
    "TimestampsOpt",
    "UserAliasOpt",
    "open_client",
    "print_json",
    "read_secret",
    "router_command",
    "router_target",
    "run",
    "with_containers",
    "with_router",
]

T = TypeVar("T")

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
UserAliasOpt = Annotated[str | None, typer.Option("--user", "-u", hidden=True, show_default=False)]
"""The older spelling of ``--router-user``, still accepted (not shown) where ``-u`` is free."""
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
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


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run one coroutine to completion for a CLI command (Ctrl-C and SIGTERM cancel it)."""
    from mikrodock.cli.signals import run as run_stoppable

    return run_stoppable(coro)


def open_client() -> Any:
    """A REST client for the command's router (see :func:`router_target`), to use with
    ``async with``."""
    from mikrodock.routeros.client import Timeouts
    from mikrodock.routeros.connect import connect

    target = router_target()  # first: it may read the password from stdin
    seconds = router_choice().timeout  # --timeout (MIKRODOCK_TIMEOUT: read by the root option)
    return connect(target, timeouts=Timeouts.of(seconds) if seconds is not None else None)


def with_router(action: Callable[[Any], Awaitable[T]]) -> T:
    """Open a client for the command's router, run ``action(client)`` and close the client."""

    async def go() -> T:
        async with open_client() as ros:
            return await action(ros)

    return run(go())


def with_containers(action: Callable[[Any], Awaitable[T]]) -> T:
    """``action`` on the container operations (:class:`AsyncRouter`) of the command's router."""

    async def go(ros: Any) -> T:
        from mikrodock.containers.router import AsyncRouter

        return await action(AsyncRouter(ros))

    return with_router(go)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, sort_keys=True, default=str))
