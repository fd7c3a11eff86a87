"""SIGTERM in the middle of `mikrodock run -d` rolls back like Ctrl-C: a CI job or service
manager that stops the command leaves the router as it was.

A real `mikrodock` process against the simulator over HTTP (image extraction slowed down so
the signal lands mid-deploy); the router is compared through its REST API.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mikrodock.sim import Simulator, running
from mikrodock.testing.sim_fixtures import router_objects, wait_until

MIKRODOCK = Path(sys.executable).with_name("mikrodock")


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with running(version="7.20.8", delays={"extract": 30.0}) as s:
        yield s


def test_sigterm_mid_deploy_leaves_the_router_as_it_was(sim: Simulator, tmp_path: Path) -> None:
    before = router_objects(sim)
    env = {**os.environ, "MIKRODOCK_PASSWORD": sim.password, "MIKRODOCK_HOME": str(tmp_path)}
    argv = [str(MIKRODOCK), "run", "-d", "-H", sim.url, "--router-user", sim.user]
    argv += ["--name", "web", "-p", "8080:80", "-e", "A=1", "-v", "disk1/w:/w", "nginx:1.27"]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def extracting() -> bool:
        return any(c.get("name") == "web" for c in router_objects(sim)["container"])

    wait_until(extracting, timeout=60)
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert b"rolled back" in err and b"the router is as before" in err
    assert router_objects(sim) == before


def test_sigterm_stops_a_background_job_of_a_script(tmp_path: Path) -> None:
    """`mikrodock logs -f web & kill $!` in a script: bash ignores SIGINT in background jobs,
    so SIGTERM must stop the command on its own."""
    with running(version="7.20.8") as sim:
        _background_logs_killed(sim, tmp_path)


def _background_logs_killed(sim: Simulator, tmp_path: Path) -> None:
    env = {**os.environ, "MIKRODOCK_PASSWORD": sim.password, "MIKRODOCK_HOME": str(tmp_path)}
    made = subprocess.run(
        [str(MIKRODOCK), "-H", sim.url, "create", "--name", "web", "alpine"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    script = (
        f"{MIKRODOCK} -H {sim.url} logs -f web > out.txt 2> err.txt & pid=$!\n"
        "sleep 1\n"
        "kill $pid; wait $pid; echo $?\n"
    )
    done = subprocess.run(
        ["bash", "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "143", (done.stdout, (tmp_path / "err.txt").read_text())
    assert "mikrodock: terminated" in (tmp_path / "err.txt").read_text()
