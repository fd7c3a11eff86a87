"""Every command explains itself: `--help` renders for each command and group in the tree."""

from __future__ import annotations

import re

import pytest

from mikrodock.cli.main import main
from mikrodock.cli.root import root


def _command_paths() -> list[list[str]]:
    command = root.load_all()
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


# Python annotations that must never reach a user: a repeatable option or a variadic argument
# shows its item type (`<str>`, or a metavar such as `--fault <spec>`), never `<list[str]>`.
_PYTHON_TYPES = re.compile(
    r"(?:list|tuple|dict|set|frozenset|Optional|Union|Sequence)\[|NoneType|<class |typing\."
    r"|\w \| None"
)


@pytest.mark.parametrize("path", PATHS, ids=[" ".join(p) for p in PATHS])
def test_help_shows_no_python_types(path: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    try:
        main([*path, "--help"])
    except SystemExit as done:
        assert done.code in (0, None)
    out = capsys.readouterr().out
    assert _PYTHON_TYPES.findall(out) == [], out


def test_python_type_check_catches_what_it_should() -> None:
    assert _PYTHON_TYPES.search("  --fault <list[str]>  Inject a fault")
    assert _PYTHON_TYPES.search("  x <tuple[int, int]>")
    assert not _PYTHON_TYPES.search("  --fault <spec>  Inject a fault, e.g. 'PUT /rest/x'")
    assert not _PYTHON_TYPES.search("  -p, --publish <port>  [IP:]HOST:CTR[/tcp|/udp]")


def test_sim_fault_has_a_metavar(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        main(["sim", "--help"])
    except SystemExit as done:
        assert done.code in (0, None)
    assert "--fault <spec>" in capsys.readouterr().out
