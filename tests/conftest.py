"""Shared test setup: every test gets its own MIKRODOCK_HOME, so nothing touches the user's
files and tests do not see each other's contexts, machines or caches (caches that are costly to
rebuild, like the test guest, opt out by using MIKRODOCK_TEST_CACHE)."""

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
