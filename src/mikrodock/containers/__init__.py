"""Containers on RouterOS routers: the Docker command line, planned per version, applied safely.

``spec`` (what the user asked for) -> ``plan`` (pure: spec + router state -> steps) ->
``apply`` (REST calls, rolled back on failure). :class:`Router` / :class:`AsyncRouter` are the
Python API; the CLI (``mikrodock run``, ``ps``, ...) is a thin layer over them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    """The public names, imported on first use (``run --help`` needs the spec, not the client)."""
    if name not in __all__:
        raise AttributeError(f"module 'mikrodock.containers' has no attribute {name!r}")
    home = "router" if name in ("AsyncRouter", "Router", "RunResult") else "spec"
    value = getattr(import_module(f"mikrodock.containers.{home}"), name)
    globals()[name] = value
    return value
