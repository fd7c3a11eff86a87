"""How long the client waits: to connect, and for each answer (both transports)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from mikrodock.errors import UsageError

__all__ = ["TIMEOUT_ENV", "Timeouts"]


TIMEOUT_ENV = "MIKRODOCK_TIMEOUT"
"""Environment variable: seconds a request may wait for its answer (as ``--timeout``)."""


@dataclass(frozen=True)
class Timeouts:
    """Seconds to open a connection and to wait for an answer (RouterOS cuts requests at 60 s).

    A request that gets no answer within ``read`` fails at once (it is not sent again: a router
    that does not answer is not helped by asking twice), so an unresponsive router fails within
    ``connect + read`` seconds."""

    connect: float = 5.0
    read: float = 30.0

    @classmethod
    def of(cls, seconds: float | str) -> Timeouts:
        """The timeouts for a per-request limit of ``seconds`` (``--timeout``, the env var):
        the connect timeout is the default 5 s, or ``seconds`` when that is shorter."""
        try:
            value = float(seconds)
        except ValueError:
            value = -1.0
        if not 0 < value <= 3600:
            raise UsageError(
                f"bad timeout {seconds!r}",
                hint="give seconds as a number above 0, for example --timeout 10",
            )
        return cls(connect=min(cls.connect, value), read=value)

    @classmethod
    def from_env(cls) -> Timeouts:
        """The defaults, or what ``MIKRODOCK_TIMEOUT`` says."""
        text = os.environ.get(TIMEOUT_ENV, "").strip()
        if not text:
            return cls()
        try:
            return cls.of(text)
        except UsageError as exc:
            raise UsageError(f"{TIMEOUT_ENV}: {exc}", hint=exc.hint) from None

    def as_extension(self) -> dict[str, float]:
        """httpcore's ``timeout`` request extension; waiting for a free pooled connection may
        take as long as a slow answer."""
        return {"connect": self.connect, "read": self.read, "write": self.read, "pool": self.read}
