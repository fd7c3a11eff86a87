"""End-to-end helpers: the CLI as a user runs it, against the simulator over real HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mikrodock.cli.main import main
from mikrodock.sim import Delays

FAST = Delays(extract=0.05, start=0.01, stop=0.02)

MENUS = (
    "container",
    "container/envs",
    "container/mounts",
    "interface/veth",
    "interface/bridge",
    "interface/bridge/port",
    "ip/address",
    "ip/firewall/nat",
    "ip/firewall/filter",
    "system/logging",
)


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
    auth = (sim.user, sim.password)
    return {menu: httpx.get(f"{sim.url}/rest/{menu}", auth=auth).json() for menu in MENUS}
