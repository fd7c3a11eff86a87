"""Shared test setup: every test gets its own MIKRODOCK_HOME, so nothing touches the user's
files and tests do not see each other's contexts, machines or caches. Things that are costly to
build and never change (the test guest, downloaded kernels) go to the `persistent_cache` folder
instead, which outlives the run (``<repo>/.cache/tests``, ignored by git)."""

from __future__ import annotations

from pathlib import Path

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
