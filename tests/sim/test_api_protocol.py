"""The simulator speaks the RouterOS API protocol: other people's clients (librouteros) and raw
sentences against the same router the REST side serves."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

import httpx
import librouteros
import pytest
from librouteros.exceptions import TrapError
from librouteros.query import Key

from mikrodock.routeros.api_codec import SentenceReader, encode_sentence
from mikrodock.sim import Simulator


class Raw:
    """A bare API connection: send sentences, read replies as word lists."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.reader = SentenceReader()
        self.pending: list[list[str]] = []

    def send(self, *words: str) -> None:
        self.sock.sendall(encode_sentence(words))

    def read(self) -> list[str]:
        while not self.pending:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("closed")
            self.pending += self.reader.feed(data)
        return self.pending.pop(0)

    def until_done(self, tag: str | None = None) -> list[list[str]]:
        got = []
        while True:
            sentence = self.read()
            if tag is None or f".tag={tag}" in sentence:
                got.append(sentence)
                if sentence[0] == "!done":
                    return got

    def login(self, sim: Simulator) -> None:
        self.send("/login", f"=name={sim.user}", f"=password={sim.password}")
        assert self.read() == ["!done"]

    def closed(self) -> bool:
        try:
            return self.sock.recv(1) == b""
        except ConnectionError:
            return True


@pytest.fixture
def raw(routeros_sim: Simulator) -> Iterator[Raw]:
    assert routeros_sim.api_port is not None
    conn = Raw(routeros_sim.api_port)
    yield conn
    conn.sock.close()


def _api(sim: Simulator, **kwargs: object) -> librouteros.api.Api:
    return librouteros.connect(
        host="127.0.0.1",
        port=sim.api_port,
        username=sim.user,
        password=sim.password,
        **kwargs,
    )


def test_librouteros_logs_in_and_prints_with_queries_and_proplist(
    routeros_sim: Simulator,
) -> None:
    api = _api(routeros_sim)
    found = list(
        api.path("interface").select(Key("name"), Key("type")).where(Key("name") == "ether1")
    )
    assert found == [{"name": "ether1", "type": "ether"}]
    resource = next(iter(api("/system/resource/print")))
    assert str(resource["version"]).startswith(routeros_sim.version)
    api.close()


def test_librouteros_adds_sets_and_removes_and_rest_sees_it(routeros_sim: Simulator) -> None:
    api = _api(routeros_sim)
    addresses = api.path("ip", "address")
    new = addresses.add(address="10.9.9.1/24", interface="ether1", comment="api")
    rest = httpx.get(
        f"{routeros_sim.url}/rest/ip/address/{new}",
        auth=(routeros_sim.user, routeros_sim.password),
    )
    assert rest.json()["comment"] == "api"  # the same router behind both protocols
    addresses.update(**{".id": new, "comment": "changed"})
    assert [a["comment"] for a in addresses if a[".id"] == new] == ["changed"]
    addresses.remove(new)
    assert all(a[".id"] != new for a in addresses)
    api.close()


def test_a_trap_reaches_librouteros_in_routeros_words(routeros_sim: Simulator) -> None:
    api = _api(routeros_sim)
    with pytest.raises(TrapError, match=r"no such command or directory \(nothing\)"):
        list(api("/nothing/print"))
    with pytest.raises(TrapError, match="no such item"):
        tuple(api("/ip/address/remove", **{".id": "*FFFF"}))
    api.close()


def test_librouteros_over_api_ssl() -> None:
    with Simulator(tls=True) as sim:
        assert sim.api_ssl_port is not None and sim.ca_path is not None
        context = ssl.create_default_context(cafile=str(sim.ca_path))
        api = librouteros.connect(
            host="127.0.0.1",
            port=sim.api_ssl_port,
            username=sim.user,
            password=sim.password,
            ssl_wrapper=lambda sock: context.wrap_socket(sock, server_hostname="127.0.0.1"),
        )
        assert next(iter(api.path("system", "identity")))["name"]
        api.close()


def test_a_wrong_password_is_a_trap_and_then_the_connection_closes(
    routeros_sim: Simulator, raw: Raw
) -> None:
    raw.send("/login", "=name=admin", "=password=wrong")
    assert raw.read() == ["!trap", "=message=invalid user name or password (6)"]
    assert raw.read() == ["!done"]
    assert raw.closed()
    with pytest.raises(TrapError, match="invalid user name or password"):
        librouteros.connect(
            host="127.0.0.1", port=routeros_sim.api_port, username="admin", password="wrong"
        )


def test_a_command_before_login_is_refused(raw: Raw) -> None:
    raw.send("/interface/print")
    assert raw.read() == ["!trap", "=message=not logged in"]


def test_tagged_commands_in_flight_with_listen_until_cancel(
    routeros_sim: Simulator, raw: Raw
) -> None:
    raw.login(routeros_sim)
    raw.send("/ip/address/listen", ".tag=L")
    raw.send("/ip/address/add", "=address=10.7.7.1/24", "=interface=ether1", ".tag=A")
    added = raw.until_done("A")
    new_id = added[-1][1].removeprefix("=ret=")
    seen = raw.read()
    while ".tag=L" not in seen:
        seen = raw.read()
    assert seen[0] == "!re" and f"=.id={new_id}" in seen
    raw.send("/ip/address/print", "=count-only=", ".tag=C")
    counted = raw.until_done("C")
    assert counted[-1][0] == "!done" and counted[-1][1].startswith("=ret=")
    raw.send("/cancel", "=tag=L", ".tag=X")
    ended = raw.until_done("L")
    assert ended[-2][:3] == ["!trap", "=category=2", "=message=interrupted"]


def test_print_of_nothing_is_empty_from_7_18(routeros_sim: Simulator, raw: Raw) -> None:
    raw.login(routeros_sim)
    raw.send("/ip/address/print", "?comment=nothing-has-this")
    answer = raw.until_done()
    if routeros_sim.router.version.series >= (7, 18):
        assert [s[0] for s in answer] == ["!empty", "!done"]
    else:
        assert [s[0] for s in answer] == ["!done"]


def test_a_malformed_stream_is_fatal_for_that_connection_only(
    routeros_sim: Simulator, raw: Raw
) -> None:
    other = _api(routeros_sim)
    raw.login(routeros_sim)
    raw.sock.sendall(b"\xf8garbage")
    assert raw.read()[0] == "!fatal"
    assert raw.closed()
    assert list(other.path("system", "identity"))  # everyone else is served on
    other.close()


def test_a_half_closed_connection_is_closed_and_others_are_served(
    routeros_sim: Simulator, raw: Raw
) -> None:
    raw.login(routeros_sim)
    raw.sock.sendall(encode_sentence(["/interface/print"])[:5])
    raw.sock.shutdown(socket.SHUT_WR)
    assert raw.closed()
    assert list(_api(routeros_sim).path("system", "identity"))


def test_faults_apply_to_the_api(routeros_sim: Simulator) -> None:
    fault = routeros_sim.add_fault(method="API", path="/ip/address/print", nth=2)
    api = _api(routeros_sim)
    assert list(api.path("ip", "address")) is not None
    with pytest.raises(TrapError, match="simulated fault"):
        list(api.path("ip", "address"))
    assert fault.fired == 1
    api.close()


def test_refusals_carry_routeros_trap_categories(routeros_sim: Simulator, raw: Raw) -> None:
    raw.login(routeros_sim)
    raw.send("/ip/address/add", "=address=10.1.1.1/24", "=interface=ether1", "=bogus=1")
    assert raw.until_done()[0] == ["!trap", "=category=1", "=message=unknown parameter bogus"]
    raw.send("/ip/address/frobnicate")
    trap = raw.until_done()[0]
    assert trap == ["!trap", "=category=0", "=message=no such command or directory (frobnicate)"]
    raw.send("/ip/address/set", "=.id=*FFFF", "=comment=x")
    assert raw.until_done()[0] == ["!trap", "=category=0", "=message=no such item"]


def test_get_and_execute_answer_from_the_same_router(routeros_sim: Simulator, raw: Raw) -> None:
    raw.login(routeros_sim)
    raw.send("/system/identity/set", "=name=seen-over-api")
    assert raw.until_done() == [["!done"]]
    raw.send("/system/identity/get", "=value-name=name")
    assert raw.until_done() == [["!done", "=ret=seen-over-api"]]
    raw.send("/execute", "=script=:put [/system/identity/get name]", "=as-string=")
    assert raw.until_done() == [["!done", "=ret=seen-over-api"]]
    rest = httpx.get(
        f"{routeros_sim.url}/rest/system/identity",
        auth=(routeros_sim.user, routeros_sim.password),
    )
    assert rest.json()["name"] == "seen-over-api"


def test_follow_follow_only_and_listen_stream_side_by_side_until_each_is_cancelled(
    routeros_sim: Simulator, raw: Raw
) -> None:
    raw.login(routeros_sim)
    raw.send("/ip/address/print", "=follow=", "=.proplist=.id,comment", ".tag=F")
    raw.send("/ip/address/print", "=follow-only=", "=.proplist=comment", ".tag=O")
    raw.send("/ip/address/listen", ".tag=L")
    raw.send("/ip/address/add", "=address=10.8.8.1/24", "=interface=ether1", "=comment=one",
             ".tag=A")  # fmt: skip
    new_id = raw.until_done("A")[-1][1].removeprefix("=ret=")
    streams: dict[str, list[list[str]]] = {"F": [], "O": [], "L": []}

    def wait_for(tag: str, word: str) -> None:
        while not any(word in s for s in streams[tag]):
            sentence = raw.read()
            for key in streams:
                if f".tag={key}" in sentence:
                    streams[key].append(sentence)

    for tag in "FOL":
        wait_for(tag, "=comment=one")
    assert all(s[0] == "!re" for tag in "FOL" for s in streams[tag])
    assert ["!re", "=comment=one", ".tag=O"] in streams["O"]  # follow-only: no old items
    raw.send("/cancel", "=tag=O", ".tag=X1")
    raw.send("/ip/address/remove", f"=.id={new_id}", ".tag=R")
    wait_for("L", "=.dead=true")
    wait_for("O", "!done")
    assert streams["O"][-2][:3] == ["!trap", "=category=2", "=message=interrupted"]
    raw.send("/cancel", ".tag=X2")  # without =tag=: every stream ends
    wait_for("F", "!done")
    wait_for("L", "!done")
