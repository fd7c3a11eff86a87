"""How the command line treats a TLS certificate seen for the first time under ``--tls-pin``.

On a terminal the new pin is made and its fingerprint printed (compare it with the router's
``/certificate print detail``). Without a terminal nobody can compare it, so the pin is refused
unless the expected fingerprint was given (``--tls-pin-fingerprint SHA256`` or
``MIKRODOCK_TLS_PIN_FINGERPRINT``); a certificate that does not match it is refused too.
"""

from __future__ import annotations

import sys

import typer

from mikrodock.errors import CertificateChanged, UsageError
from mikrodock.routeros import tls

__all__ = ["install", "install_default", "parse"]


def parse(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return tls.normalize_fingerprint(text)
    except ValueError:
        raise UsageError(
            f"--tls-pin-fingerprint {text!r} is not a SHA-256 fingerprint",
            hint="give the 64 hex digits (colons allowed), e.g. from /certificate print detail",
        ) from None


def _on_terminal() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def install(expected: str | None) -> None:
    """Install the first-use hook for this command (``expected``: a normalized fingerprint)."""

    def first_use(keys: str, seen: str) -> None:
        if expected is not None:
            if seen != expected:
                raise CertificateChanged(
                    f"the TLS certificate of {keys} is sha256 {seen}, not the one given"
                    f" with --tls-pin-fingerprint ({expected})",
                    hint="check the fingerprint on the router; someone may be intercepting"
                    " the connection",
                )
            typer.echo(f"mikrodock: pinned the TLS certificate of {keys}", err=True)
            return
        if not _on_terminal():
            raise UsageError(
                f"the TLS certificate of {keys} (sha256 {seen}) is not pinned yet and there is"
                " no terminal to show it on",
                hint="compare it with the router's and pass --tls-pin-fingerprint SHA256",
            )
        typer.echo(
            f"mikrodock: pinned the TLS certificate of {keys}: sha256 {seen}"
            " (compare it with the router's /certificate print detail)",
            err=True,
        )

    tls.set_first_use(first_use)


def install_default() -> None:
    """Back to the library's own hook (pin and log), once a command is over."""
    tls.set_first_use(None)
