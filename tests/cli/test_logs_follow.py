"""`mikrodock logs -f` in a real process, over REST (http://) and the API protocol (api://):
it prints the lines logged so far, then each new one as the router logs it, and SIGTERM ends it
quietly with the usual status. Over the API the lines come from RouterOS's own stream
(`/log/print =follow=`), so the log is asked for once, not again and again."""

from __future__ import annotations

import os
import signal
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
    with running(version="7.22.3", delays={"extract": 0.02, "start": 0.01, "stop": 0.01}) as s:
        yield s


def _mikrodock(sim: Simulator, home: Path, url: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "MIKRODOCK_PASSWORD": sim.password, "MIKRODOCK_HOME": str(home)}
    argv = [str(MIKRODOCK), *args[:1], "-H", url, "--router-user", sim.user, *args[1:]]
    assert sim.password not in " ".join(argv)
    return subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.parametrize("transport", ["rest", "api"])
def test_follow_prints_new_lines_and_stops_on_sigterm(
    sim: Simulator, tmp_path: Path, transport: str, stdout_lines: Any
) -> None:
    url = sim.url if transport == "rest" else str(sim.api_url)
    ran = _mikrodock(sim, tmp_path, url, "run", "-d", "--name", "hi", "hello-world", "echo", "one")
    assert ran.wait(60) == 0, ran.stderr.read() if ran.stderr else ""
    logs = _mikrodock(sim, tmp_path, url, "logs", "-f", "hi")
    lines = stdout_lines(logs)
    try:
        assert [lines.next(), lines.next()] == ["started", "one"]
        restart = _mikrodock(sim, tmp_path, url, "restart", "hi")
        assert restart.wait(60) == 0
        assert [lines.next(), lines.next()] == ["started", "one"]  # logged after `logs -f` began
        if transport == "api":
            # the lines so far, then one stream that brought the rest: the log is never polled
            assert [r for r in sim.requests() if r.startswith("API /log/")] == [
                "API /log/print",
                "API /log/print",
            ]
        logs.send_signal(signal.SIGTERM)
        logs.wait(30)
        err = logs.stderr.read() if logs.stderr else ""
    finally:
        if logs.poll() is None:
            logs.kill()
    assert logs.returncode == 143, err
    with pytest.raises(AssertionError):
        lines.next(within=0.1)  # nothing printed after the lines the router logged
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 1


def test_a_state_wait_over_the_api_rides_the_stream(tmp_path: Path) -> None:
    """`mikrodock start` waits until the container runs: over the API it follows the record
    (one `print =follow=`, then `/cancel`); over REST it looks again until it runs."""
    slow = {"extract": 0.02, "start": 1.0, "stop": 0.01}
    with running(version="7.22.3", delays=slow) as sim:
        for transport, url in (("rest", sim.url), ("api", str(sim.api_url))):
            name = f"w{transport}"
            ran = _mikrodock(sim, tmp_path, url, "run", "-d", "--name", name, "nginx")
            assert ran.wait(60) == 0, ran.stderr.read() if ran.stderr else ""
            stop = _mikrodock(sim, tmp_path, url, "stop", name)
            assert stop.wait(60) == 0
            asked = len(sim.requests())
            start = _mikrodock(sim, tmp_path, url, "start", name)
            assert start.wait(60) == 0, start.stderr.read() if start.stderr else ""
            record = next(c for c in sim.items("container") if c.get("name") == name)
            assert record["running"] == "true"
            during = sim.requests()[asked:]
            if transport == "rest":
                looks = [r for r in during if r == f"GET /rest/container/{record['.id']}"]
                assert len(looks) > 1  # the start takes a second: polled until it ran
            else:
                prints = [r for r in during if r == "API /container/print"]
                # the start's own look for the container, the look after it, one stream
                assert len(prints) <= 3, during
