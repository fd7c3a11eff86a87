"""The root's table of lazily loaded commands matches the commands the modules build: every
command is listed with its own one-line help, and none is missing from the table."""

from __future__ import annotations

from importlib import import_module

import pytest
import typer

from mikrodock.cli.root import COMMANDS, root


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_listed_command_loads_with_the_listed_help(name: str) -> None:
    command = root.get_command(None, name)
    assert command is not None
    assert command.get_short_help_str(1000) == COMMANDS[name][0]


def test_every_registered_command_is_listed() -> None:
    modules = {m for _help, ms in COMMANDS.values() for m in ms}
    app = typer.Typer()

    @app.callback()
    def _scratch() -> None:
        pass

    for module in sorted(modules):
        import_module(f"mikrodock.cli.{module}").register(app)
    built = typer.main.get_command(app)
    assert set(getattr(built, "commands", {})) == set(COMMANDS)
