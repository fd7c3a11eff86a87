"""Errors of `run` flags name the fix too, not just the problem (one line, exit 2)."""

from __future__ import annotations

from typing import Any

import pytest

from mikrodock.cli.main import main


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    try:
        main(["run", "--dry-run", "--router-version", "7.22", "--arch", "x86_64", *args])
    except SystemExit as done:
        return int(done.code or 0), capsys.readouterr().err
    return 0, capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "fix"),
    [
        (("--ip", "10.9.9.9", "alpine"), "give an address inside 172.17.0.0/24"),
        (("--ip", "172.17.0.1", "alpine"), "leave --ip out"),
        (("--env-file", "/nonexistent/env", "alpine"), "one KEY=value per line"),
    ],
)
def test_flag_errors_say_how_to_fix_them(
    args: tuple[str, ...], fix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _run(capsys, *args)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert fix in err


@pytest.mark.parametrize(
    ("typed", "meant"), [("--nmae", "--name"), ("--detatch", "--detach"), ("--publsh", "--publish")]
)
def test_a_typo_on_run_suggests_the_real_flag(typed: str, meant: str, run_cli: Any) -> None:
    code, out, err = run_cli("run", typed, "web", "alpine")
    assert code == 2 and out == ""
    assert err.strip() == f"mikrodock: error: no such option: {typed} (did you mean {meant}?)"


def test_a_docker_flag_routeros_cannot_honour_keeps_its_own_message(run_cli: Any) -> None:
    code, _out, err = run_cli("run", "--cap-add", "NET_ADMIN", "alpine")
    assert code == 2 and "--cap-add has no RouterOS counterpart" in err


@pytest.mark.parametrize(
    ("argv", "problem", "where"),
    [
        (("ps", "--nosuch"), "no such option: --nosuch", "mikrodock ps -h"),
        (("--timeout", "nan", "ps"), "give a number of seconds above 0", "mikrodock -h"),
        (("nosuchcmd",), "no such command 'nosuchcmd'", "mikrodock -h"),
        (("chr", "ls", "extra"), "unexpected extra argument", "mikrodock chr ls -h"),
    ],
)
def test_usage_errors_are_one_line_naming_the_help(
    argv: tuple[str, ...], problem: str, where: str, run_cli: Any
) -> None:
    code, out, err = run_cli(*argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("mikrodock: error: ") and problem in err and f"(see `{where}`)" in err
