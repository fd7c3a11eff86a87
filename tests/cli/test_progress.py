"""A long `run -d` shows which step is under way on a terminal (stderr), and nothing on a pipe:
stdout carries only the answer. A real process, its stderr on a pseudo-terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mikrodock.sim import Simulator, running

MIKRODOCK = Path(sys.executable).with_name("mikrodock")


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with running(version="7.22.3", delays={"extract": 2.0}) as s:
        yield s


def _run(
    sim: Simulator, tmp_path: Path, terminal: Any = None, argv: tuple[str, ...] = ()
) -> tuple[int, str, str]:
    """``terminal``: the ``on_terminal`` fixture (stderr on a pty), or None for pipes."""
    env = {**os.environ, "MIKRODOCK_PASSWORD": sim.password, "MIKRODOCK_HOME": str(tmp_path)}
    argv = (str(MIKRODOCK), "-H", sim.url, *(argv or ("run", "-d", "--name", "web", "nginx:1.27")))
    if terminal is None:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
        return done.returncode, done.stdout, done.stderr
    return tuple(terminal(list(argv), env, 120))  # type: ignore[return-value]


def test_on_a_terminal_the_step_under_way_is_shown(
    sim: Simulator, tmp_path: Path, on_terminal: Any
) -> None:
    code, out, err = _run(sim, tmp_path, on_terminal)
    assert code == 0, err
    assert out == "web\n"
    assert "downloaded and extracted" in err  # the wait step, as the status line said it
    assert "(RouterOS: extracting)" in err  # and the state RouterOS reports meanwhile


def test_on_a_pipe_nothing_but_the_answer(sim: Simulator, tmp_path: Path) -> None:
    code, out, err = _run(sim, tmp_path)
    assert (code, out, err) == (0, "web\n", "")


def test_compose_up_shows_each_services_step(
    sim: Simulator, tmp_path: Path, on_terminal: Any
) -> None:
    compose = tmp_path / "compose.yaml"
    compose.write_text("services:\n  web:\n    image: nginx:1.27\n  cache:\n    image: redis:7\n")
    argv = ("compose", "-f", str(compose), "-p", "shop", "up", "-d", "--mode", "containers")
    code, out, err = _run(sim, tmp_path, on_terminal, argv)
    assert code == 0, err
    assert "web: wait until the image is downloaded and extracted" in err, err
    assert "cache: wait until the image is downloaded and extracted" in err, err
    assert "created" in out
