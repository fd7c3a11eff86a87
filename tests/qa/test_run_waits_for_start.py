"""run -d returns once the container is running (like docker run), not while it is starting."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mikrodock.sim import Delays, running

SLOW_START = Delays(extract=0.05, start=0.6, stop=0.02)


@pytest.mark.parametrize("version", ["7.20", "7.24"])
def test_run_detached_returns_with_the_container_running(version: str, cli: Any) -> None:
    with running(version=version, delays=SLOW_START) as sim:
        code, out, err = cli(sim, "run", "-d", "--name", "web", "-p", "8080:80", "nginx")
        assert code == 0, err
        code, out, err = cli(sim, "ps", "--json")
        assert code == 0, err
        assert [(row["name"], row["state"]) for row in json.loads(out)] == [("web", "running")]
