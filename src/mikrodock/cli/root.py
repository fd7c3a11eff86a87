"""The root ``mikrodock`` group: loads a command's module only when that command runs.

This is click's documented lazy-loading group: the root knows each command's name, its one-line
help and the modules that register it, and imports those modules only when the command is
invoked (``mikrodock --help`` imports none of them, ``mikrodock run`` only the container CLI).
Each module keeps its ``register(app)`` function; the group calls it on a scratch Typer app and
takes the command it built. The router options (see :mod:`mikrodock.cli.router_flags`) are
added here, once, to the root and to every router command.
"""

from __future__ import annotations

import os
from importlib import import_module
from typing import Any, ClassVar

import typer
from typer.core import TyperGroup

from mikrodock.cli import _click as click
from mikrodock.cli.router_flags import add_router_options, router_options

__all__ = ["COMMANDS", "LazyGroup", "root"]

HELP = (
    "RouterOS and containers, together.\n\n"
    "Run RouterOS CHR machines on this machine as easily as `docker run` (mikrodock chr ...),"
    " and use the Docker command line for containers on a RouterOS router"
    " (mikrodock run / ps / logs / exec / compose ...).\n\n"
    "The router options (-H, --context, --chr, --router-user, --password-stdin, --insecure,"
    " --tls-pin, --timeout) go here or after a router command."
)

_CONTAINERS = ("container",)
_OPS = ("container_ops",)
_CHR = ("chr", "chr_docker")

COMMANDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "context": (
        "Saved routers (URL, user, password) in a 0600 file; the current one is used by default.",
        ("context",),
    ),
    "info": (
        "Show the router's identity, version, board, architecture, memory and disks.",
        ("info",),
    ),
    "sim": (
        "Serve a simulated RouterOS router (REST, and the API protocol on --api-port) on 127.0.0.1 "
        "until Ctrl-C or SIGTERM.",
        ("sim",),
    ),
    "chr": ("RouterOS CHR machines under QEMU: pull, run, ls, stop, snapshot, console ...", _CHR),
    "lab": ("Labs: several CHR routers and their links from one YAML file.", ("lab",)),
    "run": ("Create and start a container on the router (like docker run).", _CONTAINERS),
    "create": (
        "Create a container on the router without starting it (like docker create).",
        _CONTAINERS,
    ),
    "ps": (
        "List containers: name, image, state, ports, whether mikrodock manages them.",
        _OPS,
    ),
    "inspect": (
        "Show everything about a container and the objects tagged for it (JSON).",
        _OPS,
    ),
    "start": ("Start a container.", _OPS),
    "stop": (
        "Stop a container, waiting until it has stopped (killing it after -t seconds).",
        _OPS,
    ),
    "restart": ("Restart a container.", _OPS),
    "kill": ("Send a signal to a container's main process (RouterOS 7.21+).", _OPS),
    "rm": ("Remove a container and every object tagged for it (nothing else).", _OPS),
    "logs": ("Print a container's output from the router's log.", _OPS),
    "pull": ("Download a container's image again (repull where the version has it).", _OPS),
    "stats": ("Show a container's resource use as RouterOS reports it.", _OPS),
    "exec": (
        "Run a command in a running container and print its output (RouterOS 7.20+).",
        _OPS,
    ),
    "network": ("Container networks (a bridge, subnet and NAT on the router).", _OPS),
    "system": ("Housekeeping of what mikrodock made on a router.", _OPS),
    "load": (
        "Put an image on the router (converted for its architecture when needed).",
        ("image",),
    ),
    "image": ("Make images RouterOS can import (one plain layer, its architecture).", ("image",)),
    "app": (
        "RouterOS /app YAML: see what RouterOS computes, validate, convert from compose.",
        ("app",),
    ),
    "compose": (
        "Run a compose project on a router: as an /app on RouterOS 7.22+, else as containers.",
        ("compose",),
    ),
}
"""Each command: its one-line help (shown by ``mikrodock --help`` without loading it) and the
CLI modules whose ``register`` builds it (a test checks both against the real commands)."""


def load_modules(modules: tuple[str, ...], only: str | None = None) -> TyperGroup:
    """The group the ``register`` functions of ``modules`` build, router options added;
    with ``only``, just that command is built (typer's building is most of a command's
    start-up, and ``run`` has some fifty options)."""
    app = typer.Typer(rich_markup_mode=None, add_completion=False)

    @app.callback()
    def _scratch() -> None:  # a callback makes Typer build a group even for one command
        pass

    for name in modules:
        import_module(f"mikrodock.cli.{name}").register(app)
    if only is not None:
        app.registered_commands = [c for c in app.registered_commands if _name(c) == only]
        app.registered_groups = [g for g in app.registered_groups if g.name == only]
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    add_router_options(group)
    click.light_coercion(group)
    return group


def _name(info: Any) -> str:
    return str(info.name or info.callback.__name__.strip("_").replace("_", "-"))


class LazyGroup(TyperGroup):
    """A group whose commands are imported on first use (see :data:`COMMANDS`)."""

    lazy = COMMANDS
    _loaded: ClassVar[dict[str, Any]] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*self.lazy, *(name for name in self.commands if name not in self.lazy)]

    def get_command(self, ctx: click.Context | None, cmd_name: str) -> Any:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        entry = self.lazy.get(cmd_name)
        if entry is None:
            return None
        if cmd_name not in self._loaded:
            self._loaded[cmd_name] = load_modules(entry[1], cmd_name).commands.get(cmd_name)
        return self._loaded[cmd_name]

    def load_all(self) -> LazyGroup:
        """Every command loaded into :attr:`commands` (for tools and tests that walk the tree)."""
        for name in self.lazy:
            command = self.get_command(None, name)
            if command is not None:
                self.commands[name] = command
        return self

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_) for name, (help_, _modules) in self.lazy.items()]
        rows += [
            (name, cmd.get_short_help_str(200))
            for name, cmd in self.commands.items()
            if name not in self.lazy and not cmd.hidden
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _show_version(value: bool) -> None:
    if value:
        from mikrodock import __version__

        typer.echo(f"mikrodock {__version__}")
        raise typer.Exit()


_app = typer.Typer(
    name="mikrodock",
    help=HELP,
    cls=LazyGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@_app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="Print the version."
    ),
    debug: bool = typer.Option(
        False, "--debug", help="Show tracebacks for errors (or set MIKRODOCK_DEBUG=1)."
    ),
) -> None:
    if debug:
        os.environ["MIKRODOCK_DEBUG"] = "1"


root: Any = typer.main.get_command(_app)
root.params.extend(router_options(root=True))
click.light_coercion(root)
