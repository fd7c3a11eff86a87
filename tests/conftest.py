"""Shared test setup: every test gets its own MIKRODOCK_HOME, so nothing touches the user's
files and tests do not see each other's contexts, machines or caches. Things that are costly to
build and never change (the test guest, downloaded kernels) go to the `persistent_cache` folder
instead, which outlives the run (``<repo>/.cache/tests``, ignored by git).

``run_cli("ps", "-a")`` runs ``mikrodock`` in this process through its real entry point (error
handling and exit codes included) and returns ``(code, out, err)``; ``sim_cli(sim, "run", ...)``
does the same against a simulator (its ``-H`` and password filled in)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    home = tmp_path_factory.mktemp("mikrodock-home")
    monkeypatch.setenv("MIKRODOCK_HOME", str(home))
    monkeypatch.delenv("MIKRODOCK_PASSWORD", raising=False)
    monkeypatch.delenv("MIKRODOCK_HOST", raising=False)
    monkeypatch.delenv("MIKRODOCK_CONTEXT", raising=False)
    return home


@pytest.fixture(scope="session")
def persistent_cache() -> Path:
    """A cache folder shared by all tests and kept between runs."""
    path = REPO / ".cache" / "tests"
    path.mkdir(parents=True, exist_ok=True)
    return path


class Ran(NamedTuple):
    code: int
    out: str
    err: str


RunCli = Callable[..., Ran]


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> RunCli:
    from mikrodock.cli.main import main

    def run(*args: str) -> Ran:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return run


@pytest.fixture
def sim_cli(run_cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Ran]:
    def run(sim: Any, *args: str) -> Ran:
        monkeypatch.setenv("MIKRODOCK_PASSWORD", sim.password)
        words = 2 if args[0] in ("network", "system") else 1
        return run_cli(*args[:words], "-H", sim.url, *args[words:])

    return run
