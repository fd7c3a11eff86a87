"""A router whose device-mode refuses containers: `run` says so before it changes anything."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mikrodock.sim import running

from .conftest import FAST, snapshot


def _next_id(sim: Any) -> str:
    """The id the router gives the next object: it moves on with every add, even undone ones."""
    answer = httpx.put(
        f"{sim.url}/rest/interface/bridge",
        json={"name": "probe"},
        auth=(sim.user, sim.password),
    )
    answer.raise_for_status()
    return str(answer.json()[".id"])


@pytest.mark.parametrize("args", [("run", "-d", "alpine"), ("run", "--dry-run", "alpine")])
def test_run_refuses_before_any_change(args: tuple[str, ...], cli: Any) -> None:
    with running(version="7.22.3", device_mode_locked=True, delays=FAST) as fresh:
        expected_id = _next_id(fresh)
    with running(version="7.22.3", device_mode_locked=True, delays=FAST) as sim:
        before = snapshot(sim)
        code, out, err = cli(sim, *args)
        assert code == 2, out
        lines = err.strip().splitlines()
        assert len(lines) == 1
        assert "device-mode does not allow containers" in lines[0]
        assert "container=yes" in lines[0]
        assert snapshot(sim) == before
        assert _next_id(sim) == expected_id  # nothing was added and rolled back either
