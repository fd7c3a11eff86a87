"""Host ports: a port already forwarded on the router is refused before any change."""

from __future__ import annotations

from typing import Any

import pytest

from mikrodock.sim import running

from .conftest import FAST, snapshot


@pytest.mark.parametrize("version", ["7.19", "7.22"])
def test_run_refuses_a_host_port_another_container_forwards(version: str, cli: Any) -> None:
    with running(version=version, delays=FAST) as sim:
        code, _out, err = cli(sim, "run", "-d", "--name", "web", "-p", "8080:80", "nginx")
        assert code == 0, err
        before = snapshot(sim)
        for publish in ("8080:80", "8079-8081:79-81", "0.0.0.0:8080:80"):
            code, out, err = cli(sim, "run", "-d", "--name", "api", "-p", publish, "nginx")
            assert code == 2, out
            assert len(err.strip().splitlines()) == 1
            assert "already forwarded" in err and "container web" in err
            assert "another host port" in err
        assert snapshot(sim) == before
        # another protocol, or a free port, is fine
        code, _out, err = cli(sim, "run", "-d", "--name", "dns", "-p", "8080:53/udp", "nginx")
        assert code == 0, err


def test_run_refuses_the_same_host_port_twice_in_one_run(cli: Any) -> None:
    with running(version="7.22", delays=FAST) as sim:
        before = snapshot(sim)
        code, _out, err = cli(sim, "run", "-d", "-p", "90:80", "-p", "90:81", "nginx")
        assert code == 2
        assert "90/tcp" in err
        assert snapshot(sim) == before
