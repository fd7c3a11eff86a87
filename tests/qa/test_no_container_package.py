"""A router without the container package: every container command says so in one line."""

from __future__ import annotations

from typing import Any

import pytest

from mikrodock.sim import running

from .conftest import FAST, snapshot

COMMANDS = [
    ("run", "-d", "alpine"),
    ("run", "--dry-run", "alpine"),
    ("ps", "-a"),
    ("logs", "web"),
    ("stop", "web"),
    ("rm", "-f", "web"),
    ("network", "ls"),
]


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_container_commands_name_the_missing_package(args: tuple[str, ...], cli: Any) -> None:
    with running(version="7.21", container_package=False, delays=FAST) as sim:
        before = snapshot_without_container(sim)
        code, out, err = cli(sim, *args)
        assert code == 2, out
        lines = err.strip().splitlines()
        assert len(lines) == 1
        assert "container package is not installed" in lines[0]
        assert "install the container package" in lines[0]
        assert snapshot_without_container(sim) == before


def snapshot_without_container(sim: Any) -> dict[str, Any]:
    return {k: v for k, v in snapshot(sim).items() if not k.startswith("container")}
