"""Every command explains itself: `--help` renders for each command and group in the tree."""

from __future__ import annotations

import pytest
import typer

from mikrodock.cli.main import main, root


def _command_paths() -> list[list[str]]:
    command = typer.main.get_command(root)
    paths: list[list[str]] = []

    def walk(group: object, prefix: list[str]) -> None:
        for name, sub in sorted(getattr(group, "commands", {}).items()):
            paths.append([*prefix, name])
            walk(sub, [*prefix, name])

    walk(command, [])
    return paths


PATHS = _command_paths()


def test_the_tree_has_both_halves() -> None:
    names = {" ".join(p) for p in PATHS}
    for expected in (
        "info",
        "sim",
        "context add",
        "chr run",
        "chr ls",
        "run",
        "ps",
        "logs",
        "exec",
        "compose up",
        "image save",
        "app inspect",
    ):
        assert expected in names


@pytest.mark.parametrize("path", PATHS, ids=[" ".join(p) for p in PATHS])
def test_help_renders(path: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    try:
        main([*path, "--help"])
    except SystemExit as done:
        assert done.code in (0, None)
    out = capsys.readouterr().out
    assert "Usage: mikrodock " + " ".join(path) in " ".join(out.split())
