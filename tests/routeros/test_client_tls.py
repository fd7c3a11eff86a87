"""TLS against the simulator over real HTTPS on 127.0.0.1: CA verification, insecure, and
trust-on-first-use pinning of a self-signed certificate (like ssh known_hosts).

Each simulator run with ``tls=True`` makes a fresh CA and server certificate, so a second run on
the same port is "the same router with a new certificate". A never-firing fault counts the
requests that reached the simulator: a router with a changed certificate must see none (and so
never the password).
"""

from __future__ import annotations

from typing import Any

import pytest

from mikrodock.errors import CertificateChanged, ConnectionFailed, UsageError
from mikrodock.paths import config_dir
from mikrodock.routeros.client import AsyncRouterClient, RouterClient
from mikrodock.routeros.tls import KnownHosts, host_port
from mikrodock.sim import Simulator

VERSIONS = ["7.15", "7.19", "7.20", "7.21", "7.22", "7.23", "7.24"]


def counter(sim: Simulator) -> Any:
    """A fault that never fires: its ``seen`` counts the requests the simulator received."""
    return sim.add_fault("*", "/rest/*", nth=1_000_000, kind="error500")


@pytest.mark.parametrize("version", VERSIONS)
def test_pin_on_first_use_then_refuse_a_changed_certificate(version: str) -> None:
    known = config_dir() / "known_hosts"
    with Simulator(version, tls=True) as first:
        port, pinned = first.port, first.fingerprint
        with RouterClient(first.url, first.user, first.password, tls="pin") as ros:
            assert ros.get("system/resource")["board-name"] == "CHR"
        # pinned like ssh known_hosts: "host:port sha256-hex"
        assert known.read_text() == f"127.0.0.1:{port} {pinned}\n"
        assert known.stat().st_mode & 0o777 == 0o600
        with RouterClient(first.url, first.user, first.password, tls="pin") as ros:
            assert ros.print("system/package")  # the same certificate is accepted
    with Simulator(version, tls=True, port=port, password=first.password) as second:
        assert second.fingerprint != pinned
        seen = counter(second)
        ros = RouterClient(second.url, second.user, second.password, tls="pin")
        with ros, pytest.raises(CertificateChanged) as caught:
            ros.get("system/resource")
        assert seen.seen == 0  # refused during the handshake: no request, no password sent
    message = caught.value.one_line()
    assert str(pinned) in message and str(second.fingerprint) in message
    assert str(known) in message and f"127.0.0.1:{port}" in message
    assert known.read_text() == f"127.0.0.1:{port} {pinned}\n"  # the old pin is kept


def test_forgetting_the_pin_accepts_the_new_certificate() -> None:
    store = KnownHosts()
    with Simulator(tls=True) as sim:
        key = host_port("127.0.0.1", sim.port)
        store.remember(key, "00" * 32)  # an older certificate of this router
        ros = RouterClient(sim.url, sim.user, sim.password, tls="pin")
        with ros, pytest.raises(CertificateChanged):
            ros.get("system/resource")
        assert store.forget(key) and not store.forget(key)
        with RouterClient(sim.url, sim.user, sim.password, tls="pin") as ros:
            assert ros.get("system/resource")["board-name"] == "CHR"
        assert store.lookup(key) == sim.fingerprint


@pytest.mark.anyio
async def test_verify_refuses_an_unknown_ca_and_says_what_to_do() -> None:
    with Simulator(tls=True) as sim:
        seen = counter(sim)
        async with AsyncRouterClient(sim.url, sim.user, sim.password) as ros:
            with pytest.raises(ConnectionFailed) as caught:
                await ros.get("system/resource")
        assert seen.seen == 0
        async with AsyncRouterClient(sim.url, sim.user, sim.password, insecure=True) as ros:
            await ros.get("system/resource")
        assert seen.seen == 1  # the counter does count what gets through
    assert not isinstance(caught.value, CertificateChanged)
    assert "CA file" in caught.value.one_line() and "pin" in caught.value.one_line()


@pytest.mark.anyio
async def test_verify_against_the_ca_file_and_insecure_both_connect() -> None:
    with Simulator(tls=True) as sim:
        async with AsyncRouterClient(sim.url, sim.user, sim.password, ca_file=sim.ca_path) as ros:
            assert (await ros.get("system/resource"))["board-name"] == "CHR"
        async with AsyncRouterClient(sim.url, sim.user, sim.password, insecure=True) as ros:
            assert (await ros.get("system/resource"))["board-name"] == "CHR"
    assert not (config_dir() / "known_hosts").exists()  # only tls=pin writes pins


def test_conflicting_tls_options_are_refused(tmp_path: Any) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("not used")
    with pytest.raises(UsageError):
        AsyncRouterClient("https://127.0.0.1:1", insecure=True, tls="pin")
    with pytest.raises(UsageError):
        AsyncRouterClient("https://127.0.0.1:1", tls="pin", ca_file=ca)
    with pytest.raises(UsageError):
        AsyncRouterClient("https://127.0.0.1:1", tls="trust-me")
    with pytest.raises(UsageError):
        AsyncRouterClient("https://127.0.0.1:1", ca_file=tmp_path / "missing.pem")


def test_another_name_for_a_pinned_address_meets_its_pin() -> None:
    """localhost and 127.0.0.1 reach the same router: a pin made for one holds for the other."""
    with Simulator(tls=True) as first:
        port = first.port
        with RouterClient(first.url, first.user, first.password, tls="pin") as ros:
            ros.get("system/resource")
    with Simulator(tls=True, port=port, password=first.password) as second:
        seen = counter(second)
        url = f"https://localhost:{port}"
        ros = RouterClient(url, second.user, second.password, tls="pin")
        with ros, pytest.raises(CertificateChanged) as caught:
            ros.get("system/resource")
        assert seen.seen == 0  # refused in the handshake: the password never left
    assert f"127.0.0.1:{port}" in caught.value.one_line()
    assert KnownHosts().lookup(f"localhost:{port}") is None


def test_a_new_name_for_a_trusted_certificate_is_pinned_too() -> None:
    with Simulator(tls=True) as sim:
        with RouterClient(sim.url, sim.user, sim.password, tls="pin") as ros:
            ros.get("system/resource")
        url = f"https://localhost:{sim.port}"
        with RouterClient(url, sim.user, sim.password, tls="pin") as ros:
            ros.get("system/resource")
        store = KnownHosts()
        assert store.lookup(f"localhost:{sim.port}") == sim.fingerprint
        assert store.lookup(f"127.0.0.1:{sim.port}") == sim.fingerprint
