"""Fault injection: make the Nth request that matches misbehave.

A :class:`Fault` matches a method (``*`` for any) and an ``fnmatch`` pattern on the URL path
(``/rest/container*``). Counting matching requests from 1, it fires on the ``nth`` and on the
``times - 1`` after it, then stays quiet. Kinds:

* ``latency``: wait ``seconds``, then answer normally;
* ``error500``: answer 500 with a RouterOS error body;
* ``drop``: close the connection without an answer.

Faults come from ``--fault 'PUT /rest/container* nth=2 kind=error500'`` (see
:func:`parse_fault`), from :meth:`FaultSet.add` and from the sim-only ``POST /sim/faults``.
Requests under ``/sim/`` are never faulted. The set also keeps what it was asked to check, as
``"METHOD PATH"`` (``"GET /rest/container"``, ``"API /container/print"``; never a body, an
argument or a query, so never a password): :meth:`FaultSet.requests`, ``sim.requests()``, lets
a test see how a client talked to the router.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from mikrodock.errors import UsageError

__all__ = ["KINDS", "Fault", "FaultSet", "parse_fault"]

KINDS = ("latency", "error500", "drop")
REQUESTS_KEPT = 10_000


@dataclass
class Fault:
    method: str = "*"
    path: str = "*"
    nth: int = 1
    kind: str = "error500"
    seconds: float = 0.0
    times: int = 1
    seen: int = field(default=0, compare=False)
    fired: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        if self.kind not in KINDS:
            raise UsageError(
                f"unknown fault kind {self.kind!r}", hint=f"use one of: {', '.join(KINDS)}"
            )
        if self.nth < 1 or self.times < 1:
            raise UsageError("fault nth and times must be 1 or more", hint="e.g. nth=2 times=1")
        if self.seconds < 0:
            raise UsageError("fault seconds cannot be negative", hint="e.g. seconds=0.5")
        if self.kind == "latency" and not self.seconds:
            self.seconds = 1.0

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method.upper())) and fnmatchcase(path, self.path)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class FaultSet:
    """The faults of one simulator; safe to use from any thread."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._requests: deque[str] = deque(maxlen=REQUESTS_KEPT)

    def add(
        self,
        method: str = "*",
        path: str = "*",
        *,
        nth: int = 1,
        kind: str = "error500",
        seconds: float = 0.0,
        times: int = 1,
    ) -> Fault:
        fault = Fault(method=method, path=path, nth=nth, kind=kind, seconds=seconds, times=times)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def all(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def note(self, method: str, path: str) -> None:
        """Keep a request that no fault applies to (an API ``/login``) in :meth:`requests`."""
        with self._lock:
            self._requests.append(f"{method} {path}")

    def requests(self) -> list[str]:
        """The requests checked so far (the latest :data:`REQUESTS_KEPT`), oldest first."""
        with self._lock:
            return list(self._requests)

    def check(self, method: str, path: str) -> list[Fault]:
        """Count this request against every fault; the faults that fire on it."""
        if path.startswith("/sim/"):
            return []
        firing = []
        with self._lock:
            self._requests.append(f"{method} {path}")
            for fault in self._faults:
                if not fault.matches(method, path):
                    continue
                fault.seen += 1
                if fault.seen >= fault.nth and fault.fired < fault.times:
                    fault.fired += 1
                    firing.append(fault)
        return firing


def parse_fault(text: str) -> Fault:
    """``'PUT /rest/container* nth=2 kind=error500 seconds=1 times=1'`` -> :class:`Fault`."""
    words = text.split()
    positional = [w for w in words if "=" not in w]
    options = dict(w.split("=", 1) for w in words if "=" in w)
    hint = "write it like 'PUT /rest/container* nth=2 kind=error500' (or kind=latency, drop)"
    if len(positional) > 2:
        raise UsageError(f"bad fault {text!r}: too many words", hint=hint)
    unknown = set(options) - {"nth", "kind", "seconds", "times", "method", "path"}
    if unknown:
        raise UsageError(f"bad fault {text!r}: unknown option {sorted(unknown)[0]}", hint=hint)
    if len(positional) == 1 and positional[0].startswith(("/", "*")):
        positional.insert(0, options.get("method", "*"))
    method = positional[0] if positional else options.get("method", "*")
    path = positional[1] if len(positional) > 1 else options.get("path", "*")
    try:
        return Fault(
            method=method,
            path=path,
            nth=int(options.get("nth", "1")),
            kind=options.get("kind", "error500"),
            seconds=float(options.get("seconds", "0")),
            times=int(options.get("times", "1")),
        )
    except ValueError as error:
        raise UsageError(f"bad fault {text!r}: {error}", hint=hint) from error
