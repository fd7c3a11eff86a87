"""An attached `mikrodock run` (no -d) stopped by SIGINT/SIGTERM stops the container, as
`docker run` does; with --rm it also removes it; a second Ctrl-C leaves it as it is.

A real `mikrodock` process against the simulator over HTTP; the password comes from the
environment, never argv; the router is checked through its REST API.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mikrodock.sim import Simulator, running
from mikrodock.testing.sim_fixtures import container_state, wait_until

MIKRODOCK = Path(sys.executable).with_name("mikrodock")


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with running(version="7.22.3", delays={"extract": 0.05, "start": 0.02, "stop": 0.2}) as s:
        yield s


def _rest(sim: Simulator, menu: str) -> list[dict[str, str]]:
    response = httpx.get(f"{sim.url}/rest/{menu}", auth=(sim.user, sim.password))
    response.raise_for_status()
    data: list[dict[str, str]] = response.json()
    return data


def _container(sim: Simulator, name: str) -> dict[str, str] | None:
    return next((c for c in _rest(sim, "container") if c.get("name") == name), None)


def _tagged(sim: Simulator, name: str) -> list[str]:
    menus = ("interface/veth", "interface/bridge/port", "ip/firewall/nat", "container/envs")
    return [
        menu
        for menu in menus
        for record in _rest(sim, menu)
        if record.get("comment") == f"mikrodock:{name}"
    ]


def _start_run(sim: Simulator, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "MIKRODOCK_PASSWORD": sim.password, "MIKRODOCK_HOME": str(tmp_path)}
    argv = [str(MIKRODOCK), "run", "-H", sim.url, "--router-user", sim.user, *args]
    assert sim.password not in argv
    return subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_attached(proc: subprocess.Popen[str], sim: Simulator, name: str) -> None:
    """Until the command prints the container's first line (it then follows the output)."""
    assert proc.stdout is not None
    first = proc.stdout.readline()  # ends with the process at the latest
    assert first, proc.stderr.read() if proc.stderr else ""
    record = _container(sim, name)
    assert record is not None and container_state(record) == "running"


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return proc.returncode, out, err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_stops_the_attached_container(
    sim: Simulator, tmp_path: Path, signum: signal.Signals
) -> None:
    proc = _start_run(sim, tmp_path, "--name", "web", "-p", "8080:80", "nginx:1.27")
    try:
        _wait_attached(proc, sim, "web")
        proc.send_signal(signum)
        code, _out, err = _finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, err
    assert "stopping container web" in err
    assert "mikrodock: stopped web" in err
    record = _container(sim, "web")
    assert record is not None and container_state(record) == "stopped"
    assert _tagged(sim, "web")  # without --rm the container and its objects stay


def test_signal_with_rm_removes_the_container_and_its_objects(
    sim: Simulator, tmp_path: Path
) -> None:
    proc = _start_run(sim, tmp_path, "--rm", "--name", "tmp", "-p", "8081:80", "nginx:1.27")
    try:
        _wait_attached(proc, sim, "tmp")
        assert _tagged(sim, "tmp")
        proc.send_signal(signal.SIGINT)
        code, _out, err = _finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, err
    assert "removed tmp" in err
    assert _container(sim, "tmp") is None
    assert _tagged(sim, "tmp") == []


def test_second_ctrl_c_leaves_the_container_as_it_is(tmp_path: Path) -> None:
    # a container that takes long to stop, so the second Ctrl-C comes while it is stopping
    with running(version="7.22.3", delays={"extract": 0.05, "start": 0.02, "stop": 120}) as sim:
        proc = _start_run(sim, tmp_path, "--rm", "--name", "slow", "nginx:1.27")
        try:
            _wait_attached(proc, sim, "slow")
            proc.send_signal(signal.SIGINT)

            def stopping() -> bool:
                record = _container(sim, "slow")
                return record is not None and container_state(record) == "stopping"

            wait_until(stopping, timeout=30)
            proc.send_signal(signal.SIGINT)
            code, _out, err = _finish(proc)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert code == 130, err
        assert "left container slow as it is" in err
        record = _container(sim, "slow")
        assert record is not None and container_state(record) == "stopping"
