"""The CLI turns every error into a short message on stderr and exit status 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mikrodock.cli.main import main


def test_unknown_option_is_exit_2_with_the_option_named(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["info", "--no-such-flag"])
    assert done.value.code == 2
    assert "--no-such-flag" in capsys.readouterr().err


def test_our_errors_are_one_line_with_the_fix(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["info"])  # no router given, no context saved
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("mikrodock: error: no router given")
    assert "mikrodock context add NAME -H URL --router-user USER" in err  # today's flag names


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0"])
def test_a_bad_pull_timeout_is_named_before_any_router_is_looked_for(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["run", "-d", "--pull-timeout", value, "alpine"])  # and no router given
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--pull-timeout" in err, err


def test_exit_codes_of_commands_reach_the_shell(tmp_path: Path) -> None:
    # `app validate` ends with typer.Exit(2) when the file has problems; outside click's
    # standalone mode that code is returned, not raised, and must still reach the shell.
    bad = tmp_path / "app.yaml"
    bad.write_text("services:\n  web:\n    imag: nginx\n")
    done = subprocess.run(
        [sys.executable, "-m", "mikrodock", "app", "validate", str(bad)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert "app.yaml:3" in done.stderr
