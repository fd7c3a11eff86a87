"""A RouterOS REST simulator for offline work and tests (``mikrodock sim``).

It answers like RouterOS of the chosen version (menus and arguments from the version's
command tree; what records print from RouterOS facts with their sources, such as
:mod:`~mikrodock.sim.container_facts`), runs a container lifecycle with real delays, and
can inject faults. Where public sources disagree or are silent it plays the answer picked
through ``candidates`` (:mod:`~mikrodock.sim.candidates`).
Start one in-process with :func:`running`::

    with running(version="7.20.8") as sim:
        httpx.get(f"{sim.url}/rest/system/resource", auth=(sim.user, sim.password))

Module map: ``state`` (items, ids, persistence), ``router`` (the model and boot events),
``rest`` (REST semantics), ``query`` (print's proplist and query), ``containers`` / ``shell``
(lifecycle and what containers fake), ``files`` (``/file``, ``/tool/fetch``), ``logs``,
``packages`` (packages, device-mode, identity), ``resources``, ``app``, ``script``
(``/execute``), ``faults``, ``tls``, ``server`` (ASGI app), ``runner`` (uvicorn).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from mikrodock.sim.candidates import CANDIDATES, parse_candidate
from mikrodock.sim.faults import Fault, parse_fault
from mikrodock.sim.router import Delays
from mikrodock.sim.runner import Simulator

__all__ = [
    "CANDIDATES",
    "Delays",
    "Fault",
    "Simulator",
    "parse_candidate",
    "parse_fault",
    "running",
]


@contextmanager
def running(
    version: str = "7.22.3",
    arch: str = "x86_64",
    user: str = "admin",
    password: str | None = None,
    container_package: bool = True,
    extra_packages: frozenset[str] | set[str] | tuple[str, ...] = (),
    device_mode_locked: bool = False,
    tls: bool = False,
    delays: Delays | dict[str, float] | None = None,
    state_file: Path | str | None = None,
    faults: list[Fault] | tuple[Fault, ...] = (),
    candidates: Mapping[str, str] | None = None,
) -> Iterator[Simulator]:
    """A simulator serving on a free 127.0.0.1 port for the duration of the ``with`` block."""
    sim = Simulator(
        version,
        arch,
        user,
        password,
        container_package=container_package,
        extra_packages=extra_packages,
        device_mode_locked=device_mode_locked,
        tls=tls,
        delays=delays,
        state_file=state_file,
        faults=faults,
        candidates=candidates,
    )
    with sim:
        yield sim
