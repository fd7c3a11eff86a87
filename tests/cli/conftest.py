"""`cli`: the root conftest's ``run_cli`` under the name these tests use: runs ``mikrodock``
in this process through its real entry point and returns (exit code, stdout, stderr)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def cli(run_cli: Any) -> Any:
    return run_cli
