"""exec on a container that is not running: one line that says to start it, exit 2."""

from __future__ import annotations

from typing import Any

import pytest

from mikrodock.sim import running

from .conftest import FAST


@pytest.mark.parametrize("version", ["7.20", "7.24"])
def test_exec_on_a_stopped_container_says_to_start_it(version: str, cli: Any) -> None:
    with running(version=version, delays=FAST) as sim:
        code, _out, err = cli(sim, "run", "-d", "--name", "web", "alpine")
        assert code == 0, err
        code, _out, err = cli(sim, "stop", "web")
        assert code == 0, err
        code, out, err = cli(sim, "exec", "web", "ls", "/")
        assert code == 2 and out == ""
        assert err.strip().splitlines() == [
            "mikrodock: error: container web is not running (it is stopped) "
            "(start it first: mikrodock start web)"
        ]
        code, _out, err = cli(sim, "start", "web")
        assert code == 0, err
        code, out, err = cli(sim, "exec", "web", "echo", "hi")
        assert code == 0, err
