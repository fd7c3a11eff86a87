"""`mikrodock compose logs -f` in a real process over REST and the API protocol: every
service's lines, then new ones as the router logs them (over the API from RouterOS's own
stream of /log, which is asked for once, not again and again), until SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mikrodock.sim import Simulator, running

MIKRODOCK = Path(sys.executable).with_name("mikrodock")

COMPOSE = """\
name: hi
services:
  one:
    image: hello-world
    command: ["echo", "one"]
  two:
    image: hello-world
    command: ["echo", "two"]
"""


def _mikrodock(sim: Simulator, home: Path, url: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "MIKRODOCK_PASSWORD": sim.password, "MIKRODOCK_HOME": str(home)}
    argv = [str(MIKRODOCK), *args, "-H", url]
    return subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.parametrize("transport", ["rest", "api"])
def test_compose_logs_follow_prints_new_lines(
    tmp_path: Path, transport: str, stdout_lines: Any
) -> None:
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    compose = ("compose", "-f", str(tmp_path / "compose.yaml"))
    with running(version="7.21.5", delays={"extract": 0.02, "start": 0.01, "stop": 0.01}) as sim:
        url = sim.url if transport == "rest" else str(sim.api_url)
        up = _mikrodock(sim, tmp_path, url, *compose, "up", "-d")
        assert up.wait(60) == 0, up.stderr.read() if up.stderr else ""
        follow = _mikrodock(sim, tmp_path, url, *compose, "logs", "-f")
        lines = stdout_lines(follow)
        try:
            first = lines.take(4)
            assert sorted(first) == [
                "one | one",
                "one | started",
                "two | started",
                "two | two",
            ]
            restart = _mikrodock(sim, tmp_path, url, "restart", "hi-two")
            assert restart.wait(60) == 0, restart.stderr.read() if restart.stderr else ""
            assert lines.take(2) == ["two | started", "two | two"]
            if transport == "api":  # the lines so far, then one stream: /log never polled
                log_reads = [r for r in sim.requests() if r == "API /log/print"]
                assert len(log_reads) == 3  # one per service's lines so far, then the stream
            follow.send_signal(signal.SIGTERM)
            assert follow.wait(30) == 128 + signal.SIGTERM  # as `logs -f` and docker end
        finally:
            if follow.poll() is None:
                follow.kill()
        err = follow.stderr.read() if follow.stderr else ""
        assert "Traceback" not in err and err.strip() == "mikrodock: terminated"
