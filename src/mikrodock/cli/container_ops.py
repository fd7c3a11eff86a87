"""CLI: ps, inspect, start, stop, restart, kill, rm, logs, exec, pull, stats, network, prune.

Each command opens the chosen router, makes one call on :class:`mikrodock.containers.router.
AsyncRouter`, and prints the result (``--json`` where it prints data).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from mikrodock.cli._common import (
    Command,
    FollowOpt,
    JsonOpt,
    SinceOpt,
    TailOpt,
    TimestampsOpt,
    print_json,
    router_command,
    with_containers,
)
from mikrodock.cli.progress import step_status
from mikrodock.cli.tables import print_table

if TYPE_CHECKING:
    from mikrodock.containers.router import AsyncRouter

__all__ = ["register"]

T = TypeVar("T")

Name = Annotated[str, typer.Argument(help="Container name")]


def _call(action: Callable[[AsyncRouter], Awaitable[T]]) -> T:
    return with_containers(action)


_command = router_command


def ps(
    all_: Annotated[bool, typer.Option("-a", "--all", help="Show stopped ones too")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List containers: name, image, state, ports, whether mikrodock manages them."""
    rows = _call(lambda r: r.ps(all_))
    if as_json:
        print_json([row.to_json() for row in rows])
        return
    print_table(
        ("NAME", "IMAGE", "STATE", "MANAGED", "PORTS"),
        [
            (r.name, r.image, r.state, "yes" if r.managed else "no", ", ".join(r.ports))
            for r in rows
        ],
        empty="no containers" if all_ else "no running containers (mikrodock ps -a shows all)",
    )


def inspect_(name: Name) -> None:
    """Show everything about a container and the objects tagged for it (JSON)."""
    print_json(_call(lambda r: r.inspect(name)))


def start(name: Name) -> None:
    """Start a container."""
    with step_status(f"starting {name}"):
        _call(lambda r: r.start(name))
    typer.echo(name)


def stop(name: Name, time: Annotated[int, typer.Option("-t", "--time")] = 10) -> None:
    """Stop a container, waiting until it has stopped (killing it after -t seconds)."""
    with step_status(f"stopping {name}"):
        _call(lambda r: r.stop(name, time))
    typer.echo(name)


def restart(name: Name, time: Annotated[int, typer.Option("-t", "--time")] = 10) -> None:
    """Restart a container."""
    with step_status(f"restarting {name}"):
        _call(lambda r: r.restart(name, time))
    typer.echo(name)


def kill(name: Name, signal: Annotated[str, typer.Option("-s", "--signal")] = "KILL") -> None:
    """Send a signal to a container's main process (RouterOS 7.21+)."""
    _call(lambda r: r.kill(name, signal))
    typer.echo(name)


def rm(
    name: Name,
    force: Annotated[bool, typer.Option("-f", "--force")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Remove a container and every object tagged for it (nothing else)."""
    removed = _call(lambda r: r.rm(name, force))
    if as_json:
        print_json(removed)
    else:
        typer.echo(name)


def logs(
    name: Name,
    follow: FollowOpt = False,
    since: SinceOpt = None,
    tail: TailOpt = None,
    timestamps: TimestampsOpt = False,
) -> None:
    """Print a container's output from the router's log."""
    from mikrodock.containers.output import parse_tail

    lines = parse_tail(tail)

    async def go(r: AsyncRouter) -> None:
        if follow:
            async for line in r.follow(name, since, lines):
                typer.echo(line.text(timestamps))
        else:
            for line in await r.logs(name, since, lines):
                typer.echo(line.text(timestamps))

    _call(go)


def exec_(
    name: Name,
    command: Annotated[list[str], typer.Argument(help="Command and args")],
) -> None:
    """Run a command in a running container and print its output (RouterOS 7.20+).

    Exits with the command's own exit status, as docker exec does."""
    result = _call(lambda r: r.exec(name, command))
    if result.output:
        typer.echo(result.output, nl=not result.output.endswith("\n"))
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def pull(name: Name) -> None:
    """Download a container's image again (repull where the version has it)."""
    _call(lambda r: r.pull(name))
    typer.echo(name)


def stats(name: Name, as_json: JsonOpt = False) -> None:
    """Show a container's resource use as RouterOS reports it."""
    data = _call(lambda r: r.stats(name))
    if as_json:
        print_json(data)
    else:
        for key, value in data.items():
            typer.echo(f"{key:<16} {value}")


network_app = typer.Typer(
    help="Container networks (a bridge, subnet and NAT on the router).", no_args_is_help=True
)
system_app = typer.Typer(
    help="Housekeeping of what mikrodock made on a router.", no_args_is_help=True
)


def network_create(
    name: Name,
    subnet: Annotated[str | None, typer.Option("--subnet")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a network (bridge, gateway address, masquerade)."""
    info = _call(lambda r: r.network_create(name, subnet))
    if as_json:
        print_json(info.to_json())
        return
    typer.echo(f"{info.name} {info.subnet}")


def network_ls(as_json: JsonOpt = False) -> None:
    """List mikrodock networks."""
    nets = _call(lambda r: r.networks())
    if as_json:
        print_json([n.to_json() for n in nets])
        return
    print_table(
        ("NAME", "SUBNET", "CONTAINERS"),
        [(net.name, net.subnet, ", ".join(net.containers)) for net in nets],
        empty="no mikrodock networks",
    )


def network_rm(name: Name) -> None:
    """Remove a network that no container uses."""
    _call(lambda r: r.network_rm(name))
    typer.echo(name)


def prune(
    yes: Annotated[bool, typer.Option("-f", "--force", help="Do not ask")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Remove leftovers mikrodock tagged: objects of removed containers, unused networks."""

    async def go(r: AsyncRouter) -> list[str]:
        items = await r.leftovers()
        if not items:
            return []
        if not as_json:
            for item in items:
                typer.echo(str(item))
        if not yes and not typer.confirm(f"Remove these {len(items)} object(s)?"):
            raise typer.Abort()
        return await r.prune(items)

    removed = _call(go)
    if as_json:
        print_json(removed)
    elif not removed:
        typer.echo("nothing to prune")


def register(root: typer.Typer) -> None:
    for name, fn in (
        ("ps", ps),
        ("inspect", inspect_),
        ("start", start),
        ("stop", stop),
        ("restart", restart),
        ("kill", kill),
        ("rm", rm),
        ("logs", logs),
        ("pull", pull),
        ("stats", stats),
    ):
        root.command(name, cls=Command)(_command(fn))
    root.command(
        "exec",
        cls=Command,
        context_settings={"allow_interspersed_args": False, "ignore_unknown_options": True},
    )(_command(exec_))
    network_app.command("create")(_command(network_create))
    network_app.command("ls")(_command(network_ls))
    network_app.command("rm")(_command(network_rm))
    system_app.command("prune")(_command(prune))
    root.add_typer(network_app, name="network")
    root.add_typer(system_app, name="system")
