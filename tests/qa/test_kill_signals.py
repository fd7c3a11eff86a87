"""kill -s: a signal the process handles (HUP) leaves it running; KILL and TERM stop it."""

from __future__ import annotations

import json
from typing import Any

from mikrodock.sim import running

from .conftest import FAST


def _state(cli: Any, sim: Any) -> str:
    code, out, err = cli(sim, "ps", "-a", "--json")
    assert code == 0, err
    return str(json.loads(out)[0]["state"])


def test_kill_hup_keeps_running_and_kill_stops(cli: Any) -> None:
    with running(version="7.22", delays=FAST) as sim:
        code, _out, err = cli(sim, "run", "-d", "--name", "web", "nginx")
        assert code == 0, err
        code, _out, err = cli(sim, "kill", "-s", "SIGHUP", "web")
        assert code == 0, err
        assert _state(cli, sim) == "running"
        code, _out, err = cli(sim, "kill", "web")
        assert code == 0, err
        assert _state(cli, sim) == "stopped"


def test_kill_with_an_unknown_signal_names_kill_s(cli: Any) -> None:
    with running(version="7.22", delays=FAST) as sim:
        code, _out, err = cli(sim, "run", "-d", "--name", "web", "nginx")
        assert code == 0, err
        code, _out, err = cli(sim, "kill", "-s", "SIGBOGUS", "web")
        assert code == 2
        assert err.strip() == (
            "mikrodock: error: unknown kill -s 'SIGBOGUS' (use e.g. SIGTERM or 15)"
        )
        assert _state(cli, sim) == "running"
