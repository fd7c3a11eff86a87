"""`--tls-pin` on the command line: the fingerprint is shown when a pin is first made, and
without a terminal nothing is pinned (and no request sent) unless `--tls-pin-fingerprint`
names the certificate."""

from __future__ import annotations

from typing import Any

import pytest

from mikrodock.cli import tls_pin
from mikrodock.paths import config_dir
from mikrodock.routeros.tls import KnownHosts
from mikrodock.sim import Simulator


def _counter(sim: Simulator) -> Any:
    return sim.add_fault("*", "/rest/*", nth=1_000_000, kind="error500")


def test_without_a_terminal_a_new_certificate_is_not_pinned(sim_cli: Any) -> None:
    with Simulator(tls=True) as sim:
        seen = _counter(sim)
        ran = sim_cli(sim, "ps", "--tls-pin")
        assert ran.code == 2
        assert "--tls-pin-fingerprint" in ran.err and sim.fingerprint in ran.err
        assert "Traceback" not in ran.err and len(ran.err.strip().splitlines()) == 1
        assert seen.seen == 0
        assert not (config_dir() / "known_hosts").exists()


def test_the_given_fingerprint_is_pinned_and_a_wrong_one_refused(
    run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Simulator(tls=True) as sim:
        monkeypatch.setenv("MIKRODOCK_PASSWORD", sim.password)
        seen = _counter(sim)

        def ps(*first: str) -> Any:
            return run_cli(*first, "ps", "-H", sim.url, "--tls-pin")

        wrong = "ab" * 32
        ran = ps("--tls-pin-fingerprint", wrong)
        assert ran.code == 2 and wrong in ran.err and seen.seen == 0
        colons = ":".join(sim.fingerprint[i : i + 2] for i in range(0, 64, 2)).upper()
        ran = ps("--tls-pin-fingerprint", f"SHA256:{colons}")
        assert ran.code == 0, ran.err
        assert KnownHosts().lookup(f"127.0.0.1:{sim.port}") == sim.fingerprint
        ran = ps()  # pinned now: no terminal needed any more
        assert ran.code == 0, ran.err


def test_on_a_terminal_the_new_pin_is_shown(sim_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tls_pin, "_on_terminal", lambda: True)
    with Simulator(tls=True) as sim:
        ran = sim_cli(sim, "ps", "--tls-pin")
        assert ran.code == 0, ran.err
        assert f"127.0.0.1:{sim.port}" in ran.err and sim.fingerprint in ran.err
        ran = sim_cli(sim, "ps", "--tls-pin")
        assert sim.fingerprint not in ran.err  # shown once, when the pin is made


def test_a_bad_fingerprint_is_a_usage_error(run_cli: Any) -> None:
    ran = run_cli("--tls-pin-fingerprint", "xyz", "context", "ls")
    assert ran.code == 2 and "SHA-256" in ran.err


@pytest.mark.parametrize("fingerprint", [False, True], ids=["not-given", "given"])
def test_api_ssl_pins_like_https_in_a_real_process(tmp_path: Any, fingerprint: bool) -> None:
    """Over api-ssl:// the pin check runs inside asyncio's TLS: its refusal must still be the
    one line (no event-loop traceback) and come before the password is sent."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    with Simulator(tls=True) as sim:
        url = str(sim.api_ssl_url)
        argv = [str(Path(sys.executable).with_name("mikrodock")), "ps", "-H", url, "--tls-pin"]
        if fingerprint:
            argv += ["--tls-pin-fingerprint", str(sim.fingerprint)]
        env = {**os.environ, "MIKRODOCK_PASSWORD": sim.password, "MIKRODOCK_HOME": str(tmp_path)}
        ran = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
        if fingerprint:
            assert ran.returncode == 0, ran.stderr
            assert sim.requests()[:1] == ["API /login"]
        else:
            assert ran.returncode == 2
            assert len(ran.stderr.strip().splitlines()) == 1, ran.stderr
            assert "--tls-pin-fingerprint" in ran.stderr and str(sim.fingerprint) in ran.stderr
            assert sim.requests() == []  # refused in the handshake: no /login, no password
