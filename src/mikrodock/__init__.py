"""mikrodock: RouterOS CHR machines under QEMU, and the Docker command line for RouterOS routers.

The public API is what ``__all__`` lists; every other module is private to the project.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from mikrodock._version import __version__

if TYPE_CHECKING:
    from mikrodock.chr.api import Chr, Machine
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
    from mikrodock.errors import (
        AuthError,
        CertificateChanged,
        ConfigError,
        ConnectionFailed,
        ImageError,
        MachineError,
        MikrodockError,
        NotFoundError,
        PlanError,
        RouterError,
        UnsupportedError,
        UsageError,
    )
    from mikrodock.routeros.client import AsyncRouterClient, RouterClient
    from mikrodock.routeros.version import RouterOSVersion, parse_version


# Each public name and the module that defines it, imported on first use: a command that needs
# none of them (``mikrodock --version``) does not pay for the HTTP client, QEMU or YAML code.
_HOME = {
    "Chr": "chr.api",
    "Machine": "chr.api",
    "AsyncRouter": "containers.router",
    "Router": "containers.router",
    "RunResult": "containers.router",
    **dict.fromkeys(
        (
            "ContainerSpec",
            "EnvVar",
            "HealthCheck",
            "HostEntry",
            "Mount",
            "PortMapping",
            "RestartPolicy",
        ),
        "containers.spec",
    ),
    **dict.fromkeys(
        (
            "AuthError",
            "CertificateChanged",
            "ConfigError",
            "ConnectionFailed",
            "ImageError",
            "MachineError",
            "MikrodockError",
            "NotFoundError",
            "PlanError",
            "RouterError",
            "UnsupportedError",
            "UsageError",
        ),
        "errors",
    ),
    "AsyncRouterClient": "routeros.client",
    "RouterClient": "routeros.client",
    "RouterOSVersion": "routeros.version",
    "parse_version": "routeros.version",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'mikrodock' has no attribute {name!r}")
    value = getattr(import_module(f"mikrodock.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "AsyncRouter",
    "AsyncRouterClient",
    "AuthError",
    "CertificateChanged",
    "Chr",
    "ConfigError",
    "ConnectionFailed",
    "ContainerSpec",
    "EnvVar",
    "HealthCheck",
    "HostEntry",
    "ImageError",
    "Machine",
    "MachineError",
    "MikrodockError",
    "Mount",
    "NotFoundError",
    "PlanError",
    "PortMapping",
    "RestartPolicy",
    "Router",
    "RouterClient",
    "RouterError",
    "RouterOSVersion",
    "RunResult",
    "UnsupportedError",
    "UsageError",
    "__version__",
    "parse_version",
]
