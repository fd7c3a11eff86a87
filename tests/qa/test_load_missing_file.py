"""load / run --local with a file path that does not exist: a typo, never a registry pull."""

from __future__ import annotations

from typing import Any

import pytest

from mikrodock.sim import running

from .conftest import FAST, snapshot


@pytest.mark.parametrize(
    "args",
    [
        ("load", "missing.tar"),
        ("load", "./images/app.tar.gz"),
        ("run", "-d", "--local", "/nowhere/app.tar"),
    ],
)
def test_a_missing_archive_is_named_as_a_missing_file(args: tuple[str, ...], cli: Any) -> None:
    with running(version="7.22", delays=FAST) as sim:
        before = snapshot(sim)
        code, out, err = cli(sim, *args)
        assert code == 2, out
        path = args[-1]
        assert err.strip().splitlines() == [
            f"mikrodock: error: no such file: {path} "
            "(check the path, or give an image reference such as nginx:1.27)"
        ]
        assert snapshot(sim) == before
