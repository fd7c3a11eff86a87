"""End-to-end helpers: the CLI as a user runs it, against the simulator over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from mikrodock.sim import Delays
from mikrodock.testing.sim_fixtures import router_objects

FAST = Delays(extract=0.05, start=0.01, stop=0.02)


@pytest.fixture
def cli(sim_cli: Any) -> Any:
    """``cli(sim, "run", ...)`` -> (exit code, stdout, stderr), with -H and the password set."""
    return sim_cli


def snapshot(sim: Any) -> dict[str, Any]:
    """Every object a container run may touch, read over REST."""
    return router_objects(sim)
