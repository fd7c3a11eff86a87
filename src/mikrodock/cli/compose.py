"""CLI: ``mikrodock compose [-f FILE] [-p NAME] up [-d] | down | ps | logs [-f] | config``.

The router options (-H, --context, --chr, --router-user, ...) are taken before the subcommand
and after it; the subcommand's win.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from mikrodock.cli._common import (
    FollowOpt,
    JsonOpt,
    SinceOpt,
    TailOpt,
    TimestampsOpt,
    open_client,
    print_json,
    router_command,
    run,
    with_router,
)
from mikrodock.cli.progress import step_status
from mikrodock.cli.tables import print_table

__all__ = ["register"]

T = TypeVar("T")

compose_cli = typer.Typer(
    name="compose",
    help="Run a compose project on a router: as an /app on RouterOS 7.22+, else as containers."
    " The router options go before the subcommand or after it (the subcommand's win).",
    no_args_is_help=True,
)


@dataclass
class _Options:
    file: str | None
    project_name: str | None

    def project(self) -> Any:
        from mikrodock.compose.compose_file import load_compose

        return load_compose(Path(self.file) if self.file else None, project_name=self.project_name)

    def call(self, action: Callable[[Any], Awaitable[T]]) -> T:
        """Run ``action(client)`` against the chosen router."""
        return with_router(action)

    def open(self) -> Any:
        return open_client()


@router_command
def _compose(
    ctx: typer.Context,
    file: Annotated[
        str | None,
        typer.Option(
            "-f",
            "--file",
            help="The compose file (default: compose.yaml, docker-compose.yml, ...).",
            show_default=False,
        ),
    ] = None,
    project_name: Annotated[
        str | None,
        typer.Option(
            "-p",
            "--project-name",
            help="Project name (default: name: in the file, else the folder's name).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run a compose project on a router: as an /app on RouterOS 7.22+, else as containers.

    The router options (-H, --context, --chr, --router-user, ...) go here or after the
    subcommand (mikrodock compose up -H URL); the subcommand's win."""
    ctx.obj = _Options(file, project_name)


compose_cli.callback()(_compose)


def _subcommand(name: str) -> Callable[[Callable[..., Any]], Any]:
    """Register a subcommand that also takes the router options."""

    def register(fn: Callable[..., Any]) -> Any:
        return compose_cli.command(name)(router_command(fn))

    return register


@compose_cli.command("config")
def config_command(ctx: typer.Context, json_output: JsonOpt = False) -> None:
    """Print the project as mikrodock reads it: variables filled in, env_file merged."""
    from mikrodock.compose.render import dump_yaml, project_to_dict

    data = project_to_dict(ctx.obj.project())
    if json_output:
        print_json(data)
    else:
        typer.echo(dump_yaml(data), nl=False)


@_subcommand("up")
def up_command(
    ctx: typer.Context,
    detach: Annotated[
        bool, typer.Option("-d", "--detach", help="Return once deployed (else follow the logs).")
    ] = False,
    mode: Annotated[
        str, typer.Option("--mode", help="auto, app (RouterOS 7.22+) or containers.")
    ] = "auto",
    force_service_port: Annotated[
        bool,
        typer.Option(
            "--force-service-port",
            help="Publish ports on every address even where the router serves WebFig, SSH,"
            " WinBox or its API itself (they become unreachable).",
        ),
    ] = False,
    json_output: JsonOpt = False,
) -> None:
    """Deploy the project; running it again changes only what changed in the file."""
    from mikrodock.compose.project import compose_up

    options: _Options = ctx.obj
    project = options.project()

    with step_status("compose up", quiet=json_output) as on_step:
        report = on_step or (lambda _text: None)
        result = options.call(
            lambda ros: compose_up(
                ros, project, mode=mode, force_service_port=force_service_port, report=report
            )
        )
    if json_output:
        print_json(result.to_json())
    else:
        for note in result.notes:
            typer.echo(f"mikrodock: not carried over: {note}", err=True)
        for change in result.changes:
            typer.echo(str(change))
    if not detach and not json_output:
        _follow(options, project)


@_subcommand("down")
def down_command(ctx: typer.Context, json_output: JsonOpt = False) -> None:
    """Remove the project's /app, containers and network (and nothing else)."""
    from mikrodock.compose.project import compose_down

    options: _Options = ctx.obj
    project = options.project()

    changes = options.call(lambda ros: compose_down(ros, project))
    if json_output:
        print_json([change.as_dict() for change in changes])
    else:
        for change in changes:
            typer.echo(str(change))


@_subcommand("ps")
def ps_command(ctx: typer.Context, json_output: JsonOpt = False) -> None:
    """List the project's services on the router."""
    from mikrodock.compose.project import compose_ps

    options: _Options = ctx.obj
    project = options.project()

    rows = options.call(lambda ros: compose_ps(ros, project))
    if json_output:
        print_json(rows)
        return
    print_table(
        ("NAME", "SERVICE", "STATE", "MODE", "IMAGE"),
        [(r["name"], r.get("service", ""), r["state"], r["mode"], r["image"]) for r in rows],
        empty="no services of this project on the router",
    )


def _follow(
    options: _Options,
    project: Any,
    tail: int | None = None,
    since: str | None = None,
    timestamps: bool = False,
) -> None:
    from mikrodock.compose.project import follow_project_logs

    async def go() -> None:
        async with options.open() as ros:
            lines = follow_project_logs(ros, project, tail=tail, since=since)
            async for service, line in lines:
                typer.echo(f"{service} | {line.text(timestamps)}")

    run(go())  # Ctrl-C or SIGTERM ends it as it ends `logs -f`: one line, exit 130 or 143


@_subcommand("logs")
def logs_command(
    ctx: typer.Context,
    follow: FollowOpt = False,
    since: SinceOpt = None,
    tail: TailOpt = None,
    timestamps: TimestampsOpt = False,
    json_output: JsonOpt = False,
) -> None:
    """Print the output of the project's containers (both modes), each line after its
    service's name."""
    from mikrodock.compose.project import compose_logs
    from mikrodock.containers.output import parse_tail

    lines_each = parse_tail(tail)
    options: _Options = ctx.obj
    project = options.project()
    if follow:
        _follow(options, project, lines_each, since, timestamps)
        return

    lines = options.call(lambda ros: compose_logs(ros, project, tail=lines_each, since=since))
    if json_output:
        print_json([{"service": s, "time": ln.time, "message": ln.message} for s, ln in lines])
        return
    for service, line in lines:
        typer.echo(f"{service} | {line.text(timestamps)}")


def register(root: typer.Typer) -> None:
    """Add ``mikrodock compose ...`` to the root command."""
    root.add_typer(compose_cli, name="compose")
