"""End-to-end helpers: the CLI as a user runs it, against the simulator over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from mikrodock.cli.main import main
from mikrodock.sim import Delays
from mikrodock.testing.sim_fixtures import router_objects

FAST = Delays(extract=0.05, start=0.01, stop=0.02)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """``cli(sim, "run", ...)`` -> (exit code, stdout, stderr), with -H and the password set."""

    def call(sim: Any, *args: str) -> tuple[int, str, str]:
        monkeypatch.setenv("MIKRODOCK_PASSWORD", sim.password)
        capsys.readouterr()
        code = 0
        words = 2 if args[0] in ("network", "system") else 1
        try:
            main([*args[:words], "-H", sim.url, *args[words:]])
        except SystemExit as done:
            code = int(done.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return call


def snapshot(sim: Any) -> dict[str, Any]:
    """Every object a container run may touch, read over REST."""
    return router_objects(sim)
