"""Fixtures for the simulator's own tests: an httpx client bound to ``routeros_sim``."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import httpx
import pytest

from mikrodock.sim import Simulator


def _client(sim: Simulator) -> httpx.Client:
    return httpx.Client(
        base_url=f"{sim.url}/rest",
        auth=(sim.user, sim.password),
        timeout=10,
        verify=ssl.create_default_context(cafile=str(sim.ca_path)) if sim.ca_path else True,
    )


@pytest.fixture
def rest(routeros_sim: Simulator) -> Iterator[httpx.Client]:
    """An httpx client on the simulator's ``/rest`` with its credentials."""
    with _client(routeros_sim) as client:
        yield client


@pytest.fixture
def client_for() -> Iterator[object]:
    """Make clients for other simulators (closed at teardown)."""
    made: list[httpx.Client] = []

    def make(sim: Simulator) -> httpx.Client:
        made.append(_client(sim))
        return made[-1]

    yield make
    for client in made:
        client.close()
