"""CLI: placeholder until its issue lands; owned by the work on that command group."""

from __future__ import annotations

import typer


def register(root: typer.Typer) -> None:
    """Add this group's commands to the root command."""
