"""Readiness probing against a local server that behaves like QEMU's user network does.

slirp accepts every connection on a forwarded port at once; while the guest has no address the
connection just hangs, once the guest has one but nothing listens yet it is reset, and then the
guest's HTTP server answers (slowly, on a busy guest). ``SlirpLike`` plays those phases over real
TCP on 127.0.0.1, so ``wait_ready`` is tested the way it meets a booting machine.
"""

from __future__ import annotations

import base64
import json
import socket
import struct
import threading
import time
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mikrodock.chr.ready import NotReady, reported_version, wait_ready
from mikrodock.errors import AuthError


class SlirpLike:
    """Hangs connections for ``down`` s, resets them for ``no_http`` s, then answers HTTP."""

    def __init__(self, *, down: float, no_http: float = 0.0, answer_after: float = 0.0) -> None:
        self.down, self.no_http, self.answer_after = down, no_http, answer_after
        self.password = "s3cret"
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.began = time.monotonic()
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.serving = 0
        self.most_serving_after_reset = 0
        self.reset_seen = False
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            age = time.monotonic() - self.began
            if age < self.down:
                self.held.append(conn)  # never answered: the guest has no address yet
            elif age < self.down + self.no_http:
                with self.lock:
                    self.reset_seen = True
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()  # reset: the guest is up, nothing listens on the port yet
            else:
                threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with self.lock:
            self.serving += 1
            if self.reset_seen:
                self.most_serving_after_reset = max(self.most_serving_after_reset, self.serving)
        try:
            conn.settimeout(5)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            self.stopping.wait(self.answer_after)
            expected = "Basic " + base64.b64encode(f"admin:{self.password}".encode()).decode()
            if f"authorization: {expected}".lower().encode() in head.lower():
                status, body = "200 OK", {"board-name": "CHR", "version": "7.22.3 (stable)"}
            else:
                status, body = "401 Unauthorized", {"error": 401, "message": "Unauthorized"}
            data = json.dumps(body).encode()
            conn.sendall(
                f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode()
                + data
            )
        except OSError:
            pass
        finally:
            with self.lock:
                self.serving -= 1
            conn.close()

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        for conn in self.held:
            conn.close()
        self.listener.close()


@pytest.fixture
def slirp(request: pytest.FixtureRequest) -> Iterator[SlirpLike]:
    server = SlirpLike(**request.param)
    yield server
    server.close()


def _never() -> NotReady | None:
    return None


@pytest.mark.parametrize("slirp", [{"down": 1.0, "no_http": 0.5}], indirect=True)
def test_connections_held_before_the_guest_is_up_do_not_hold_up_readiness(
    slirp: SlirpLike,
) -> None:
    # every probe sent in the first second hangs for good; a prober that waits for its first
    # request (30 s of patience) would run into the 10 s timeout
    timings = wait_ready(slirp.url, "admin", slirp.password, timeout=10, watch=_never)
    assert timings.ready >= timings.first_answer > 0
    assert timings.version == "7.22.3"  # as the router reported it, without the channel
    assert len(slirp.held) >= 2  # it did meet hanging connections


BUSY = {"down": 0.3, "no_http": 1.5, "answer_after": 1.0}


@pytest.mark.parametrize("slirp", [BUSY], indirect=True)
def test_a_guest_once_reached_gets_one_request_at_a_time(slirp: SlirpLike) -> None:
    wait_ready(slirp.url, "admin", slirp.password, timeout=20, watch=_never)
    assert slirp.reset_seen
    assert slirp.most_serving_after_reset == 1


@pytest.mark.parametrize("slirp", [{"down": 0.0, "answer_after": 3.0}], indirect=True)
def test_a_guest_slow_to_answer_from_the_start_still_becomes_ready(slirp: SlirpLike) -> None:
    # no reset ever tells the prober the guest is there, and the short-lived probes are
    # dropped after 1 s: the patient one must get the answer
    timings = wait_ready(slirp.url, "admin", slirp.password, timeout=30, watch=_never)
    assert timings.ready > 0


@pytest.mark.parametrize("slirp", [{"down": 0.0}], indirect=True)
def test_a_restored_machine_is_probed_without_the_boot_phase(slirp: SlirpLike) -> None:
    timings = wait_ready(
        slirp.url, "admin", slirp.password, timeout=10, watch=_never, booting=False
    )
    assert timings.ready > 0


@pytest.mark.parametrize("slirp", [{"down": 0.0}], indirect=True)
def test_wrong_credentials_end_the_wait_with_an_auth_error(slirp: SlirpLike) -> None:
    with pytest.raises(AuthError, match="refused the credentials"):
        wait_ready(slirp.url, "admin", "wrong", timeout=10, watch=_never)


@pytest.mark.parametrize("slirp", [{"down": 60.0}], indirect=True)
def test_a_guest_that_never_comes_up_times_out_naming_the_url(slirp: SlirpLike) -> None:
    with pytest.raises(NotReady, match=r"no answer from .*/rest/system/resource"):
        wait_ready(slirp.url, "admin", slirp.password, timeout=1.5, watch=_never)


@pytest.mark.parametrize("slirp", [{"down": 60.0}], indirect=True)
def test_the_watch_ends_the_wait_with_its_reason(slirp: SlirpLike) -> None:
    calls = []

    def watch() -> NotReady | None:
        calls.append(1)
        return NotReady("QEMU exited: KVM failed", accel_broke=True) if len(calls) > 3 else None

    with pytest.raises(NotReady) as caught:
        wait_ready(slirp.url, "admin", slirp.password, timeout=30, watch=watch)
    assert caught.value.accel_broke and "KVM failed" in str(caught.value)


@given(st.text(max_size=30) | st.none() | st.integers() | st.lists(st.text(max_size=3)))
def test_a_reported_version_is_a_version_number_or_nothing(value: object) -> None:
    found = reported_version(value)
    assert found == "" or (found[0].isdigit() and " " not in found and found.isprintable())
    if isinstance(value, str) and found:
        assert value.split()[0] == found


def test_the_channel_is_not_part_of_the_version() -> None:
    assert reported_version("7.22.3 (stable)") == "7.22.3"
    assert reported_version("7.23beta2 (testing)") == "7.23beta2"
    assert reported_version("") == reported_version("(stable)") == ""
