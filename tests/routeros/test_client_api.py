"""mikrodock's own client over the API protocol (api://, api-ssl://) against the simulator:
the same calls and the same typed errors as over REST."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from mikrodock.errors import AuthError, ConnectionFailed, NotFoundError, RouterError
from mikrodock.routeros.client import RouterClient, Timeouts
from mikrodock.routeros.connect import Endpoint, connect_sync
from mikrodock.sim import Simulator


def test_the_same_calls_over_the_api(routeros_sim: Simulator) -> None:
    assert routeros_sim.api_url is not None
    with connect_sync(
        Endpoint(routeros_sim.api_url, routeros_sim.user, routeros_sim.password)
    ) as ros:
        assert ros.get("system/resource")["version"].startswith(routeros_sim.version)
        added = ros.add("ip/address", {"address": "10.8.8.1/24", "interface": "ether1"})
        assert added["address"] == "10.8.8.1/24"
        changed = ros.set("ip/address", added[".id"], {"comment": "api"})
        assert changed["comment"] == "api"
        assert [a[".id"] for a in ros.print("ip/address", where={"comment": "api"})] == [
            added[".id"]
        ]
        assert ros.print("interface", proplist=["name"], query=["name=ether1"]) == [
            {"name": "ether1"}
        ]
        ros.remove("ip/address", added[".id"])
        with pytest.raises(NotFoundError):
            ros.remove("ip/address", added[".id"])
        with pytest.raises(RouterError) as caught:
            ros.command("nothing", "print")
        assert caught.value.status == 400 and "no such command" in caught.value.detail


def test_a_wrong_password_is_an_auth_error(routeros_sim: Simulator) -> None:
    assert routeros_sim.api_url is not None
    with RouterClient(routeros_sim.api_url, "admin", "wrong") as ros, pytest.raises(AuthError):
        ros.get("system/identity")


def test_api_ssl_verifies_against_the_ca() -> None:
    with Simulator(tls=True) as sim:
        assert sim.api_ssl_url is not None
        with RouterClient(sim.api_ssl_url, sim.user, sim.password, ca_file=sim.ca_path) as ros:
            assert ros.get("system/identity")["name"]


def test_api_ssl_without_a_trusted_ca_fails_at_once_saying_how_to_trust_it() -> None:
    with Simulator(tls=True) as sim:
        assert sim.api_ssl_url is not None
        ros = RouterClient(sim.api_ssl_url, sim.user, sim.password)
        with ros, pytest.raises(ConnectionFailed) as caught:
            ros.get("system/identity")
        text = caught.value.one_line()
        assert "TLS handshake failed" in text and "--tls-pin" in text
        with RouterClient(sim.api_ssl_url, sim.user, sim.password, tls="insecure") as ros:
            assert ros.get("system/identity")["name"]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A listener that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


@pytest.mark.parametrize("scheme", ["http", "api"])
def test_a_router_that_never_answers_fails_within_the_timeout(
    silent_port: int, scheme: str
) -> None:
    url = f"{scheme}://127.0.0.1:{silent_port}"
    ros = RouterClient(url, "admin", "x", timeouts=Timeouts(connect=1, read=0.5))
    with ros, pytest.raises(ConnectionFailed) as caught:
        ros.get("system/resource")
    text = caught.value.one_line()
    assert "no answer within 0.5 s" in text and "--timeout" in text
