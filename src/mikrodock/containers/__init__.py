"""Containers on RouterOS routers: the Docker command line, planned per version, applied safely.

``spec`` (what the user asked for) -> ``plan`` (pure: spec + router state -> steps) ->
``apply`` (REST calls, rolled back on failure). :class:`Router` / :class:`AsyncRouter` are the
Python API; the CLI (``mikrodock run``, ``ps``, ...) is a thin layer over them.
"""

from __future__ import annotations

from mikrodock.containers.router import AsyncRouter, Router, RunResult
from mikrodock.containers.spec import (
    ContainerSpec,
    EnvVar,
    HealthCheck,
    HostEntry,
    Mount,
    PortMapping,
    RestartPolicy,
)

__all__ = [
    "AsyncRouter",
    "ContainerSpec",
    "EnvVar",
    "HealthCheck",
    "HostEntry",
    "Mount",
    "PortMapping",
    "RestartPolicy",
    "Router",
    "RunResult",
]
