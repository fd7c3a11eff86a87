"""mikrodock's own client over the API protocol (api://, api-ssl://) against the simulator:
the same calls and the same typed errors as over REST."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from mikrodock.errors import (
    AuthError,
    CertificateChanged,
    ConnectionFailed,
    NotFoundError,
    RouterError,
)
from mikrodock.routeros.client import RouterClient, Timeouts
from mikrodock.routeros.connect import Endpoint, connect_sync
from mikrodock.sim import Simulator, running


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


@pytest.mark.parametrize("version", ["7.15", "7.22"])
def test_api_ssl_pins_on_first_use_and_refuses_a_changed_certificate_before_login(
    version: str,
) -> None:
    with Simulator(version, tls=True) as first:
        assert first.api_ssl_url is not None and first.api_ssl_port is not None
        port, pinned = first.api_ssl_port, first.fingerprint
        with RouterClient(first.api_ssl_url, first.user, first.password, tls="pin") as ros:
            assert ros.get("system/identity")["name"]
        with RouterClient(first.api_ssl_url, first.user, first.password, tls="pin") as ros:
            assert ros.print("system/package")  # the same certificate is accepted
        assert first.requests().count("API /login") == 2
    # the same address with a new certificate: another router, or someone in between
    with Simulator(version, tls=True, password=first.password, api_ssl_port=port) as second:
        assert second.api_ssl_url == first.api_ssl_url and second.fingerprint != pinned
        ros = RouterClient(str(second.api_ssl_url), second.user, second.password, tls="pin")
        with ros, pytest.raises(CertificateChanged) as caught:
            ros.get("system/identity")
        assert second.requests() == []  # refused in the handshake: no /login, no password
    message = caught.value.one_line()
    assert str(pinned) in message and str(second.fingerprint) in message
    assert f"127.0.0.1:{port}" in message and first.password not in message


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


@pytest.mark.parametrize(
    ("transport", "write", "read"),
    [
        ("rest", "PUT /rest/container", "GET /rest/system/resource"),
        ("api", "API /container/add", "API /system/resource/print"),
    ],
)
def test_a_connection_dropped_mid_command_fails_in_one_line_naming_the_router(
    transport: str, write: str, read: str, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command's answer never comes: a one-line error naming the router, the same exit
    status over both transports, and the write not sent again (it may have been applied). A
    dropped read is asked again and the command goes on."""
    with running(version="7.22.3", delays={"extract": 0.02, "start": 0.01, "stop": 0.01}) as sim:
        url = sim.url if transport == "rest" else str(sim.api_url)
        monkeypatch.setenv("MIKRODOCK_PASSWORD", sim.password)
        for pattern in (write, read):
            method, path = pattern.split()
            sim.add_fault(method, path, kind="drop")
        code, out, err = run_cli("run", "-d", "-H", url, "--name", "web", "nginx")
        lines = err.strip().splitlines()
        assert code == 2 and out == "", err
        assert len(lines) == 1 and url in lines[0] and sim.password not in err
        assert write.split()[1] in lines[0]  # the request that got no answer is named
        assert "may or may not have been applied" in lines[0]
        asked = sim.requests()
        assert asked.count(write) == 1  # never sent twice
        assert asked.count(read) == 2  # the dropped read was asked again


def test_a_long_answer_that_keeps_coming_is_not_cut_by_the_read_timeout() -> None:
    """The read timeout is for silence: a print whose rows come slowly, each well within it,
    is read to its end even when the whole takes longer (as REST reads a slow body)."""
    from mikrodock.routeros.api_codec import (
        Reply,
        SentenceReader,
        encode_sentence,
        parse_command,
        reply_words,
    )

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def serve() -> None:
        conn, _ = server.accept()
        reader = SentenceReader()
        with conn:
            for _ in range(2):  # /login, then the print
                sentences: list[list[str]] = []
                while not sentences:
                    sentences = reader.feed(conn.recv(65536))
                command = parse_command(sentences[0])
                if command.path == "/interface/print":
                    for n in range(5):
                        row = Reply("!re", {".id": f"*{n}", "name": f"e{n}"}, command.tag)
                        conn.sendall(encode_sentence(reply_words(row)))
                        time.sleep(0.3)
                conn.sendall(encode_sentence(reply_words(Reply("!done", {}, command.tag))))
            conn.recv(1)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    port = server.getsockname()[1]
    timeouts = Timeouts(connect=2, read=0.8)
    with RouterClient(f"api://127.0.0.1:{port}", "admin", "x", timeouts=timeouts) as ros:
        assert [r["name"] for r in ros.print("interface")] == [f"e{n}" for n in range(5)]
    server.close()
