"""The click API the CLI uses, from the copy of click that typer carries (typer >= 0.20 ships
its own ``typer._click`` and no longer depends on click). One module, so a typer upgrade that
moves it is fixed here."""

from __future__ import annotations

from typer._click.core import Command, Context, Parameter
from typer._click.exceptions import BadParameter, ClickException, UsageError
from typer._click.formatting import HelpFormatter
from typer._click.globals import get_current_context
from typer._click.termui import prompt
from typer._click.utils import echo

__all__ = [
    "BadParameter",
    "ClickException",
    "Command",
    "Context",
    "HelpFormatter",
    "Parameter",
    "UsageError",
    "echo",
    "get_current_context",
    "prompt",
]
