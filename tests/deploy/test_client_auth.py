"""The REST client's login header (made once per client): right, wrong and non-ASCII passwords
against the simulator, and the password never shown."""

from __future__ import annotations

import asyncio

import pytest

from mikrodock.errors import AuthError
from mikrodock.routeros.client import AsyncRouterClient
from mikrodock.sim import running


@pytest.mark.parametrize("password", ["plain", "pässwörd €", "with:colon"])
def test_the_password_logs_in_and_never_shows(password: str) -> None:
    with running(password=password) as sim:

        async def calls() -> tuple[str, str]:
            async with AsyncRouterClient(sim.url, sim.user, password) as ros:
                first = await ros.get("system/resource")
                again = await ros.get("system/resource")  # the same URL, parsed once
                return first["version"].split()[0], again["version"].split()[0]

        assert asyncio.run(calls()) == (sim.version, sim.version)
        ros = AsyncRouterClient(sim.url, sim.user, password)
        assert password not in repr(ros) and password not in repr(ros._headers)
        asyncio.run(ros.aclose())


def test_a_wrong_password_is_an_auth_error() -> None:
    with running(password="right") as sim:

        async def call() -> None:
            async with AsyncRouterClient(sim.url, sim.user, "wrong") as ros:
                await ros.get("system/resource")

        with pytest.raises(AuthError) as caught:
            asyncio.run(call())
        assert caught.value.status == 401
