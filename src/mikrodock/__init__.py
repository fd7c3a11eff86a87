"""mikrodock: RouterOS CHR machines under QEMU, and the Docker command line for RouterOS routers.

The public API is what ``__all__`` lists; every other module is private to the project.
"""

from __future__ import annotations

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
from mikrodock.routeros.version import RouterOSVersion, parse_version

__version__ = "0.1.0"

__all__ = [
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
    "RouterOSVersion",
    "UnsupportedError",
    "UsageError",
    "__version__",
    "parse_version",
]
