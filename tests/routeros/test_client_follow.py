"""``AsyncRouterClient.follow``: one stream of changes whatever the transport. Over the API
protocol RouterOS streams (``print =follow=``, ended by ``/cancel``); over REST the client
looks again. Both give the records first, then what appears or changes, then removals as
``.dead``; one item's stream ends in NotFoundError when the item goes."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from mikrodock.errors import NotFoundError
from mikrodock.routeros.client import AsyncRouterClient
from mikrodock.sim import Simulator, running
from mikrodock.testing.sim_fixtures import wait_until


def _url(sim: Simulator, transport: str) -> str:
    return sim.url if transport == "rest" else str(sim.api_url)


@pytest.mark.parametrize("transport", ["rest", "api"])
def test_a_menu_streams_additions_changes_and_removals(transport: str) -> None:
    with running(version="7.22.3") as sim:

        async def go() -> list[tuple[str, str]]:
            seen: list[tuple[str, str]] = []
            async with AsyncRouterClient(_url(sim, transport), sim.user, sim.password) as ros:
                first = await ros.add(
                    "ip/address", {"address": "10.1.0.1/24", "interface": "ether1"}
                )
                stream = ros.follow("ip/address", poll=0.05)
                async with contextlib.aclosing(stream) as changes:
                    async for record in changes:
                        seen.append((record[".id"], record.get("comment", record.get(".dead", ""))))
                        if len(seen) == 1:
                            await ros.set("ip/address", first[".id"], {"comment": "changed"})
                        elif len(seen) == 2:
                            await ros.remove("ip/address", first[".id"])
                        else:
                            break
                if transport == "api":  # the stream was ended on the router
                    wait_until(lambda: "API /cancel" in sim.requests())
                    assert await ros.get("system/identity")  # the connection goes on
            return seen

        seen = asyncio.run(go())
        item = seen[0][0]
        assert seen == [(item, ""), (item, "changed"), (item, "true")]


@pytest.mark.parametrize("transport", ["rest", "api"])
def test_only_new_skips_what_is_there_and_a_removed_item_ends_its_stream(
    transport: str,
) -> None:
    with running(version="7.22.3") as sim:

        async def go() -> None:
            async with AsyncRouterClient(_url(sim, transport), sim.user, sim.password) as ros:
                old = await ros.add("ip/address", {"address": "10.2.0.1/24", "interface": "ether1"})
                async with contextlib.aclosing(ros.follow("ip/address", only_new=True)) as new:
                    waiting = asyncio.ensure_future(anext(new))  # the stream begins here
                    await asyncio.sleep(0.3)
                    added = await ros.add(
                        "ip/address", {"address": "10.3.0.1/24", "interface": "ether1"}
                    )
                    record = await asyncio.wait_for(waiting, 10)
                    assert record[".id"] == added[".id"] != old[".id"]
                one = ros.follow("ip/address", added[".id"], poll=0.05)
                async with contextlib.aclosing(one) as changes:
                    assert (await anext(changes))["address"] == "10.3.0.1/24"
                    await ros.remove("ip/address", added[".id"])
                    with pytest.raises(NotFoundError):
                        await anext(changes)

        asyncio.run(go())


@pytest.mark.parametrize(
    ("transport", "request_line"),
    [("rest", "GET /rest/ip/address"), ("api", "API /ip/address/print")],
)
def test_a_stream_whose_connection_drops_starts_again(transport: str, request_line: str) -> None:
    """Following is reading: a connection lost on the way is tried again, as a read is."""
    with running(version="7.22.3") as sim:
        method, path = request_line.split()

        async def go() -> tuple[str, str, int]:
            async with AsyncRouterClient(_url(sim, transport), sim.user, sim.password) as ros:
                added = await ros.add(
                    "ip/address", {"address": "10.4.0.1/24", "interface": "ether1"}
                )
                asked = len(sim.requests())
                sim.add_fault(method, path, kind="drop")  # the stream's first request
                async with contextlib.aclosing(ros.follow("ip/address", poll=0.05)) as changes:
                    first = await asyncio.wait_for(anext(changes), 30)
                return first[".id"], added[".id"], asked

        streamed, added, asked = asyncio.run(go())
        assert streamed == added
        assert sim.requests()[asked:].count(request_line) == 2  # dropped, then asked again
