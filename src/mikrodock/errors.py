"""The error tree of mikrodock.

Every error the library raises on purpose derives from :class:`MikrodockError`; foreign
exceptions (httpx, OSError, QMP, ...) are translated where they happen with ``raise ... from``.

::

    MikrodockError              .hint: how to fix it; .exit_code: what the CLI exits with
    ├── UsageError              bad input from the user (flags, files, names)
    ├── ConfigError             contexts, settings, state on disk
    │   └── DiskFull            no space left for a write; the old file is kept
    ├── RouterError             a RouterOS REST error body: .status, .message, .detail
    │   ├── AuthError           401: wrong user or password
    │   └── NotFoundError       404: no such item or menu
    ├── ConnectionFailed        the router could not be reached (DNS, refused, timeout, TLS)
    │   └── CertificateChanged  a pinned certificate fingerprint no longer matches
    ├── UnsupportedError        the router's version cannot do what was asked
    ├── PlanError               a spec that cannot be turned into RouterOS steps
    ├── MachineError            a CHR machine (QEMU, QMP, disks, ports)
    └── ImageError              images: registry, archives, conversion

The CLI prints ``str(error)`` on one line (plus the hint) and exits with ``exit_code``.
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "CertificateChanged",
    "ConfigError",
    "ConnectionFailed",
    "DiskFull",
    "ImageError",
    "MachineError",
    "MikrodockError",
    "NotFoundError",
    "PlanError",
    "RouterError",
    "UnsupportedError",
    "UsageError",
]


class MikrodockError(Exception):
    """Base of every error mikrodock raises on purpose."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def one_line(self) -> str:
        """The message and the hint, on one line, as the CLI prints it."""
        text = str(self)
        if self.hint:
            text = f"{text} ({self.hint})"
        return " ".join(text.split())


class UsageError(MikrodockError):
    """Bad input from the user: a flag, a file, a name."""


class ConfigError(MikrodockError):
    """Contexts, settings or state on disk are missing or broken."""


class RouterError(MikrodockError):
    """RouterOS answered with an error body (``{"error": 400, "message": ..., "detail": ...}``)."""

    def __init__(
        self,
        status: int,
        message: str,
        detail: str = "",
        *,
        method: str = "",
        path: str = "",
        hint: str | None = None,
    ) -> None:
        self.status = status
        self.message = message
        self.detail = detail
        self.method = method
        self.path = path
        where = f"{method} {path}: " if method else ""
        text = f"{where}RouterOS {status} {message}"
        if detail:
            text += f": {detail}"
        super().__init__(text, hint=hint)


class AuthError(RouterError):
    """401: the router refused the user name or password."""


class NotFoundError(RouterError):
    """404: no such item (or no such menu on this version)."""


class ConnectionFailed(MikrodockError):
    """The router could not be reached, or the connection broke."""


class CertificateChanged(ConnectionFailed):
    """The router's TLS certificate differs from the one pinned on first use."""


class UnsupportedError(MikrodockError):
    """The router's RouterOS version (or its packages) cannot do what was asked."""


class PlanError(MikrodockError):
    """A spec that cannot be expressed as RouterOS steps."""


class MachineError(MikrodockError):
    """A CHR machine could not be made, started, controlled or removed."""


class ImageError(MikrodockError):
    """A container or CHR image could not be fetched, read or converted."""


class DiskFull(ConfigError):
    """A write found no space (or quota) left; the file it was replacing is unchanged."""
