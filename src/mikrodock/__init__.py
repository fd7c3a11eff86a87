"""mikrodock: RouterOS CHR machines under QEMU, and the Docker command line for RouterOS routers.

The public API is what ``__all__`` lists; every other module is private to the project.
"""

from __future__ import annotations

from mikrodock._version import __version__
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
from mikrodock.routeros.client import AsyncRouterOS, RouterOS
from mikrodock.routeros.version import RouterOSVersion, parse_version

__all__ = [
    "AsyncRouter",
    "AsyncRouterOS",
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
    "RouterError",
    "RouterOS",
    "RouterOSVersion",
    "RunResult",
    "UnsupportedError",
    "UsageError",
    "__version__",
    "parse_version",
]
