"""Retries on injected faults, against the simulator over real HTTP, for every supported version.

The rule users rely on: a read is sent again after a 500, a dropped connection or a timeout, so
a flaky link does not fail a ``ps``; a write is never sent twice once it may have reached the
router, so a retry cannot create a second container or address.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from mikrodock.errors import ConnectionFailed, RouterError
from mikrodock.routeros.client import AsyncRouterClient, RouterClient, Timeouts
from mikrodock.routeros.retry import RetryPolicy
from mikrodock.sim import running

VERSIONS = ["7.15", "7.19", "7.20", "7.21", "7.22", "7.23", "7.24"]

FAST_RETRY = RetryPolicy(attempts=3, backoff=0.01, max_delay=0.05)
ADDRESS = {"address": "10.7.7.1/24", "interface": "ether1", "comment": "mikrodock:fault"}


@pytest.fixture(params=VERSIONS)
def sim(request: pytest.FixtureRequest) -> Iterator[Any]:
    with running(version=request.param) as simulator:
        yield simulator


def client(sim: Any, **options: Any) -> RouterClient:
    options.setdefault("retry", FAST_RETRY)
    return RouterClient(sim.url, sim.user, sim.password, **options)


def ours(ros: RouterClient) -> list[dict[str, str]]:
    return ros.print("ip/address", where={"comment": "mikrodock:fault"})


@pytest.mark.parametrize("kind", ["error500", "drop"])
def test_reads_are_retried_after_a_500_or_a_dropped_connection(sim: Any, kind: str) -> None:
    get = sim.add_fault(method="GET", path="/rest/system/resource", nth=1, kind=kind, times=2)
    printed = sim.add_fault(method="POST", path="/rest/ip/address/print", nth=1, kind=kind)
    with client(sim) as ros:
        assert ros.get("system/resource")["board-name"] == "CHR"
        assert ros.print("ip/address", query=["disabled=no"]) is not None
    assert (get.seen, get.fired) == (3, 2)  # two faults, then the answer
    assert (printed.seen, printed.fired) == (2, 1)  # POST .../print is a read too


def test_reads_give_up_after_the_last_attempt_with_the_routeros_error(sim: Any) -> None:
    fault = sim.add_fault(method="GET", path="/rest/system/resource", kind="error500", times=9)
    with client(sim) as ros, pytest.raises(RouterError) as caught:
        ros.get("system/resource")
    assert caught.value.status == 500 and caught.value.detail == "simulated fault"
    assert fault.seen == FAST_RETRY.attempts


def test_a_read_that_times_out_fails_once_naming_the_request_and_the_fix(sim: Any) -> None:
    fault = sim.add_fault(method="GET", path="/rest/ip/address", kind="latency", seconds=2)
    patient = RetryPolicy(attempts=5, backoff=0.01, max_delay=0.05)
    ros = client(sim, timeouts=Timeouts(connect=5, read=0.5), retry=patient)
    with ros, pytest.raises(ConnectionFailed) as caught:
        ros.print("ip/address")
    text = caught.value.one_line()
    assert "GET" in text and "/rest/ip/address" in text and "no answer within 0.5 s" in text
    assert "--timeout" in text and "MIKRODOCK_TIMEOUT" in text
    assert fault.seen == 1  # not asked again: the timeout is the whole wait


@pytest.mark.parametrize(
    ("method", "kind"), [("PUT", "error500"), ("PUT", "drop"), ("POST", "drop")]
)
def test_writes_are_never_sent_twice(sim: Any, method: str, kind: str) -> None:
    path = "/rest/ip/address" if method == "PUT" else "/rest/ip/address/add"
    fault = sim.add_fault(method=method, path=path, kind=kind)
    with client(sim) as ros:
        with pytest.raises(RouterError if kind == "error500" else ConnectionFailed) as caught:
            if method == "PUT":
                ros.add("ip/address", ADDRESS)
            else:
                ros.command("ip/address", "add", ADDRESS)
        if kind == "drop":
            assert "may or may not have been applied" in caught.value.one_line()
        assert fault.seen == 1
        assert ours(ros) == []


def test_a_write_that_timed_out_is_not_sent_again(sim: Any) -> None:
    fault = sim.add_fault(method="PUT", path="/rest/ip/address", kind="latency", seconds=1)
    ros = client(sim, timeouts=Timeouts(connect=5, read=0.2))
    with ros, pytest.raises(ConnectionFailed) as caught:
        ros.add("ip/address", ADDRESS)
    assert "no answer within 0.2 s" in str(caught.value)
    assert "may or may not have been applied" in caught.value.one_line()
    assert fault.seen == 1  # the router may have applied it: a second PUT could add it twice


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.anyio
async def test_a_router_that_is_not_there_fails_with_a_hint_after_retries() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    async with AsyncRouterClient(url, "admin", "", retry=FAST_RETRY) as ros:
        with pytest.raises(ConnectionFailed) as caught:
            await ros.add("ip/address", ADDRESS)  # refused: never sent, so retried too
    text = caught.value.one_line()
    assert f"({FAST_RETRY.attempts} attempts)" in text and "REST service" in text
