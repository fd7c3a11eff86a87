"""CLI: ``mikrodock compose [-f FILE] [-p NAME] up [-d] | down | ps | logs [-f] | config``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from mikrodock.cli._common import (
    ChrOpt,
    ContextOpt,
    HostOpt,
    InsecureOpt,
    JsonOpt,
    PasswordStdinOpt,
    TlsPinOpt,
    UserOpt,
    print_json,
    run,
    target_from_options,
    with_router,
)
from mikrodock.contexts import Target

__all__ = ["register"]

T = TypeVar("T")

compose_cli = typer.Typer(
    name="compose",
    help="Run a compose project on a router: as an /app on RouterOS 7.22+, else as containers.",
    no_args_is_help=True,
)


@dataclass
class _Options:
    file: str | None
    project_name: str | None
    host: str | None
    context: str | None
    user: str | None
    password_stdin: bool
    insecure: bool
    tls_pin: bool
    chr_name: str | None

    def project(self) -> Any:
        from mikrodock.compose.compose_file import load_compose

        return load_compose(Path(self.file) if self.file else None, project_name=self.project_name)

    def call(self, action: Callable[[Any], Awaitable[T]]) -> T:
        """Run ``action(client)`` against the chosen router."""
        return with_router(self.target(), action)

    def open(self) -> Any:
        from mikrodock.routeros.client import AsyncRouterOS

        target = self.target()
        return AsyncRouterOS(target.url, target.user, target.password, tls=target.tls)

    def target(self) -> Target:
        return target_from_options(
            host=self.host,
            context=self.context,
            user=self.user,
            password_stdin=self.password_stdin,
            insecure=self.insecure,
            tls_pin=self.tls_pin,
            chr_name=self.chr_name,
        )


@compose_cli.callback()
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
    host: HostOpt = None,
    context: ContextOpt = None,
    user: UserOpt = None,
    password_stdin: PasswordStdinOpt = False,
    insecure: InsecureOpt = False,
    tls_pin: TlsPinOpt = False,
    chr_name: ChrOpt = None,
) -> None:
    ctx.obj = _Options(
        file, project_name, host, context, user, password_stdin, insecure, tls_pin, chr_name
    )


@compose_cli.command("config")
def config_command(ctx: typer.Context, json_output: JsonOpt = False) -> None:
    """Print the project as mikrodock reads it: variables filled in, env_file merged."""
    from mikrodock.compose.render import dump_yaml, project_to_dict

    data = project_to_dict(ctx.obj.project())
    if json_output:
        print_json(data)
    else:
        typer.echo(dump_yaml(data), nl=False)


@compose_cli.command("up")
def up_command(
    ctx: typer.Context,
    detach: Annotated[
        bool, typer.Option("-d", "--detach", help="Return once deployed (else follow the logs).")
    ] = False,
    mode: Annotated[
        str, typer.Option("--mode", help="auto, app (RouterOS 7.22+) or containers.")
    ] = "auto",
    json_output: JsonOpt = False,
) -> None:
    """Deploy the project; running it again changes only what changed in the file."""
    from mikrodock.compose.project import compose_up

    options: _Options = ctx.obj
    project = options.project()

    result = options.call(lambda ros: compose_up(ros, project, mode=mode))
    if json_output:
        print_json(result.to_json())
    else:
        for note in result.notes:
            typer.echo(f"mikrodock: not carried over: {note}", err=True)
        for change in result.changes:
            typer.echo(str(change))
    if not detach and not json_output:
        _follow(options, project)


@compose_cli.command("down")
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


@compose_cli.command("ps")
def ps_command(ctx: typer.Context, json_output: JsonOpt = False) -> None:
    """List the project's services on the router."""
    from mikrodock.compose.project import compose_ps

    options: _Options = ctx.obj
    project = options.project()

    rows = options.call(lambda ros: compose_ps(ros, project))
    if json_output:
        print_json(rows)
        return
    typer.echo(f"{'NAME':<24} {'SERVICE':<14} {'STATE':<10} {'MODE':<10} IMAGE")
    for row in rows:
        typer.echo(
            f"{row['name']:<24} {row.get('service', ''):<14} {row['state']:<10} "
            f"{row['mode']:<10} {row['image']}"
        )


def _follow(options: _Options, project: Any, tail: int | None = None) -> None:
    from mikrodock.compose.project import follow_project_logs

    async def go() -> None:
        async with options.open() as ros:
            async for service, line in follow_project_logs(ros, project, tail=tail):
                typer.echo(f"{service} | {line.text()}")

    try:
        run(go())
    except KeyboardInterrupt:
        return


@compose_cli.command("logs")
def logs_command(
    ctx: typer.Context,
    follow: Annotated[
        bool, typer.Option("-f", "--follow", help="Keep printing new lines.")
    ] = False,
    tail: Annotated[
        int | None,
        typer.Option("--tail", help="Only the last N lines of each.", show_default=False),
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Print the logs of the project's containers."""
    from mikrodock.compose.project import compose_logs

    options: _Options = ctx.obj
    project = options.project()
    if follow:
        _follow(options, project, tail)
        return

    lines = options.call(lambda ros: compose_logs(ros, project, tail=tail))
    if json_output:
        print_json([{"service": s, "time": ln.time, "message": ln.message} for s, ln in lines])
        return
    for service, line in lines:
        typer.echo(f"{service} | {line.text()}")


def register(root: typer.Typer) -> None:
    """Add ``mikrodock compose ...`` to the root command."""
    root.add_typer(compose_cli, name="compose")
