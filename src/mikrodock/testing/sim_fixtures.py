"""Fixtures: a simulated RouterOS router over real HTTP (``mikrodock.sim``).

``routeros_sim`` starts one simulator per test (RouterOS 7.22.3 unless told otherwise) and
stops it afterwards. Choose the version, or any option of :func:`mikrodock.sim.running`,
through indirect parametrization::

    @pytest.mark.parametrize("routeros_sim", ["7.15", "7.20.8"], indirect=True)
    def test_x(routeros_sim): ...

    @pytest.mark.parametrize(
        "routeros_sim", [{"version": "7.21", "device_mode_locked": True}], indirect=True
    )
    def test_y(routeros_sim): ...

Where public sources disagree on what RouterOS answers, the simulator plays a chosen candidate
(``{"candidates": {"image-field": "repo"}}``, see ``mikrodock.sim.candidates``); run a whole
suite against one with ``MIKRODOCK_SIM_CANDIDATES=image-field=repo``.

``routeros_sim_factory`` makes as many as a test needs (``factory(version=..., ...)``), all
stopped at teardown. :func:`container_state` reads a ``/container`` record's state whichever
way the version writes it, :func:`wait_until` polls (with a bound, never a timing assert), and
:func:`router_objects` reads every object a container deploy may touch, so a test can show a
router left exactly as it was (``assert router_objects(sim) == before``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from mikrodock.sim import Simulator

__all__ = [
    "DEFAULT_SIM_VERSION",
    "DEPLOY_MENUS",
    "container_state",
    "router_objects",
    "routeros_sim",
    "routeros_sim_factory",
    "wait_until",
]

DEFAULT_SIM_VERSION = "7.22.3"

DEPLOY_MENUS = (
    "container",
    "container/envs",
    "container/mounts",
    "container/config",
    "interface/veth",
    "interface/bridge",
    "interface/bridge/port",
    "ip/address",
    "ip/firewall/nat",
    "ip/firewall/filter",
    "system/logging",
)
"""The menus a container deploy (``run``, ``compose up``) may change."""


def router_objects(
    router: Any, menus: tuple[str, ...] = DEPLOY_MENUS
) -> dict[str, list[dict[str, str]]]:
    """Every object of ``menus``, read over REST from ``router`` (anything with ``url``,
    ``user`` and ``password``, e.g. a simulator); a menu the router lacks (no container
    package, an older version) reads as no objects."""
    found: dict[str, list[dict[str, str]]] = {}
    with httpx.Client(base_url=f"{router.url}/rest", auth=(router.user, router.password)) as c:
        for menu in menus:
            answer = c.get(f"/{menu}")
            if answer.status_code in (400, 404):
                found[menu] = []
                continue
            found[menu] = answer.raise_for_status().json()
    return found


def container_state(record: dict[str, str]) -> str:
    """``extracting``/``starting``/``running``/``stopping``/``stopped``/``error`` of a
    ``/container`` record: its ``status`` (up to 7.19) or its flags (7.20+; flags overlap: an
    extracting or failed record also reads ``stopped``, a healthy one may lack ``running``)."""
    if "status" in record:
        return record["status"]
    for state, names in _FLAG_STATES:
        if any(record.get(name) == "true" for name in names):
            return state
    return "none"


_FLAG_STATES = (
    ("error", ("download/extract failed", "failed")),
    ("extracting", ("downloading/extracting", "extracting")),
    ("stopping", ("stopping",)),
    ("starting", ("starting-with-healthcheck", "starting")),
    ("running", ("running", "healthy", "unhealthy")),
    ("stopped", ("stopped",)),
)


def wait_until(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.01) -> Any:
    """Call ``check`` until it returns something true; AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout}s: {check!r}")
        time.sleep(interval)


def _options(param: object) -> dict[str, Any]:
    if param is None:
        return {}
    if isinstance(param, str):
        return {"version": param}
    if isinstance(param, dict):
        return dict(param)
    raise TypeError(f"routeros_sim takes a version string or a dict of options, not {param!r}")


@pytest.fixture
def routeros_sim_factory() -> Iterator[Callable[..., Simulator]]:
    """A function that starts simulators (keyword options of ``Simulator``)."""
    started: list[Simulator] = []

    def factory(**options: Any) -> Simulator:
        options.setdefault("version", DEFAULT_SIM_VERSION)
        sim = Simulator(**options).start()
        started.append(sim)
        return sim

    yield factory
    for sim in reversed(started):
        sim.stop()


@pytest.fixture
def routeros_sim(
    request: pytest.FixtureRequest, routeros_sim_factory: Callable[..., Simulator]
) -> Simulator:
    """A running simulator; parametrize indirectly with a version or a dict of options."""
    return routeros_sim_factory(**_options(getattr(request, "param", None)))
