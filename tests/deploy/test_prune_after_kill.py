"""`system prune` after a deploy killed half-way (SIGKILL: no rollback) removes everything
the deploy had made in one pass: the container's VETH, bridge port, dst-nat rule and
environment list, and the network and logging rule nothing uses once those are gone.

A real `mikrodock run -d` process against the simulator over HTTP; the simulator holds the
container's own ``PUT`` back, so the process is killed with everything else made.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from mikrodock.sim import running
from mikrodock.testing.sim_fixtures import router_objects, wait_until

MIKRODOCK = Path(sys.executable).with_name("mikrodock")


def _tagged(sim: object) -> list[tuple[str, str]]:
    return [
        (menu, record.get("comment") or record.get("prefix", ""))
        for menu, records in router_objects(sim).items()
        if menu != "container/config"
        for record in records
        if "mikrodock" in record.get("comment", "") + record.get("prefix", "")
    ]


def test_one_prune_removes_what_a_killed_deploy_left(tmp_path: Path) -> None:
    with running(version="7.22.3") as sim:
        held = sim.add_fault("PUT", "/rest/container", kind="latency", seconds=600)
        env = {**os.environ, "MIKRODOCK_PASSWORD": sim.password, "MIKRODOCK_HOME": str(tmp_path)}
        argv = [str(MIKRODOCK), "run", "-d", "-H", sim.url, "--name", "web", "-p", "8080:80"]
        argv += ["-e", "A=1,2", "-v", "disk1/x:/x", "nginx"]
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_until(lambda: held.fired == 1, timeout=60)  # everything but the container made
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        left = {menu for menu, _mark in _tagged(sim)}
        assert {"interface/veth", "interface/bridge", "ip/firewall/nat", "system/logging"} <= left
        code = subprocess.run(
            [str(MIKRODOCK), "system", "prune", "-f", "-H", sim.url],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert code.returncode == 0, code.stderr
        assert _tagged(sim) == []
