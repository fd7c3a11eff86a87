"""The one way the CLI prints a table: a header row, columns as wide as their widest cell, two
spaces between, no trailing blanks; an empty table prints one line saying so instead.

Plain text rather than a rich table: it is the same on a terminal and in a pipe (scripts cut
and grep it, like docker's), and it costs no import at start-up.
"""

from __future__ import annotations

from collections.abc import Sequence

import typer

__all__ = ["print_table", "render_table"]


def render_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """The table as text (with a final newline)."""
    cells = [[str(cell) for cell in headers], *[[str(cell) for cell in row] for row in rows]]
    widths = [max(len(line[i]) for line in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
             for line in cells]  # fmt: skip
    return "".join(line.rstrip() + "\n" for line in lines)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, empty: str) -> None:
    """Print the table, or ``empty`` (e.g. "no containers") when there are no rows."""
    if not rows:
        typer.echo(empty)
        return
    typer.echo(render_table(headers, rows), nl=False)
