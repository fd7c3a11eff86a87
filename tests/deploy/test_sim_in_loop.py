"""Several simulators served on one event loop (what the fleet benchmark does): each answers
as its own router, and all stop when asked."""

from __future__ import annotations

import asyncio

import httpx

from mikrodock.sim import Simulator


def test_simulators_share_one_event_loop() -> None:
    sims = [Simulator("7.22.3", password="pw"), Simulator("7.19.6", password="pw")]

    async def scenario() -> list[str]:
        served = [asyncio.ensure_future(sim.serve_in_loop()) for sim in sims]
        while not all(sim.serving for sim in sims):
            await asyncio.sleep(0.01)
        async with httpx.AsyncClient(auth=("admin", "pw"), timeout=10) as client:
            answers = await asyncio.gather(
                *(client.get(f"{sim.url}/rest/system/resource") for sim in sims)
            )
        for sim in sims:
            sim.request_stop()
        await asyncio.wait_for(asyncio.gather(*served), timeout=10)
        return [answer.json()["version"].split()[0] for answer in answers]

    assert asyncio.run(scenario()) == ["7.22.3", "7.19.6"]
    for sim in sims:  # stopped: the port no longer answers
        try:
            httpx.get(f"{sim.url}/", timeout=2)
        except httpx.TransportError:
            continue
        raise AssertionError(f"{sim.url} still answers after request_stop")
