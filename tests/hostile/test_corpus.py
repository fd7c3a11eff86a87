"""Every case of the hostile-input corpus through the real CLI: a one-line error, never a
traceback, nothing written; the near misses still work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .corpus import CASES, SIM_CASES, Case, materialize


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case(case: Case, run_cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    materialize(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    before = {p.name for p in tmp_path.iterdir()}
    ran = run_cli(*case.argv)
    assert ran.code in case.codes, (ran.out, ran.err)
    assert "Traceback" not in ran.err
    if case.expect == "refuse":
        lines = ran.err.strip().splitlines()
        if ran.code == 2:
            assert len(lines) == 1, ran.err
        assert {p.name for p in tmp_path.iterdir()} == before  # nothing written beside


@pytest.mark.parametrize("argv", SIM_CASES, ids=[" ".join(argv) for argv in SIM_CASES])
def test_router_case(argv: tuple[str, ...], routeros_sim: Any, sim_cli: Any) -> None:
    ran = sim_cli(routeros_sim, *argv)
    assert ran.code == 2 and "Traceback" not in ran.err
    lines = ran.err.strip().splitlines()
    assert len(lines) == 1, ran.err  # the option parser's errors are one line too
