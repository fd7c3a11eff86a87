"""The CLI turns every error into a short message on stderr and exit status 2."""

from __future__ import annotations

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
    assert "mikrodock context add" in err
