"""TLS for the REST client: CA verification, no verification, or trust on first use.

Three modes, chosen per client (``tls=``):

``"verify"`` (default)
    The router's certificate must verify against the system CAs, or against ``ca_file``.
``"pin"``
    Trust on first use, like ssh: the first connection to ``host:port`` records the SHA-256
    fingerprint of the certificate the router presents (RouterOS routers usually have a
    self-signed one); every later connection must present the same certificate, else
    :class:`~mikrodock.errors.CertificateChanged`. CA signatures and host names are not
    consulted: the fingerprint is the trust anchor.
``"insecure"``
    No verification at all.

Pins live in ``config_dir()/known_hosts``, one line per router: ``host:port sha256-hex``
(IPv6 hosts in brackets, ``#`` starts a comment).

The check runs inside the TLS handshake (an :class:`ssl.SSLObject` subclass checks the peer
certificate as soon as the handshake completes), so a router with a changed certificate never
sees a request, and so never the password.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import ssl
from pathlib import Path
from typing import Literal

import filelock

from mikrodock.errors import CertificateChanged, UsageError
from mikrodock.paths import atomic_write, config_dir

__all__ = [
    "TLS_MODES",
    "KnownHosts",
    "TLSMode",
    "fingerprint",
    "host_port",
    "plain_http_context",
    "ssl_context",
]

log = logging.getLogger(__name__)

TLSMode = Literal["verify", "pin", "insecure"]
TLS_MODES: tuple[TLSMode, ...] = ("verify", "pin", "insecure")


def fingerprint(der: bytes) -> str:
    """SHA-256 of a DER certificate, lowercase hex without separators."""
    return hashlib.sha256(der).hexdigest()


def host_port(host: str, port: int) -> str:
    """The known_hosts key of a router: ``host:port``, ``[::1]:443`` for IPv6."""
    host = host.lower()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"


class KnownHosts:
    """The pinned fingerprints file (``host:port sha256-hex`` lines), safe across processes."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else config_dir() / "known_hosts"

    def _lock(self) -> filelock.FileLock:
        return filelock.FileLock(str(self.path) + ".lock", timeout=10)

    def _read(self) -> dict[str, str]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        entries: dict[str, str] = {}
        for line in text.splitlines():
            fields = line.split("#", 1)[0].split()
            if len(fields) == 2:
                entries[fields[0]] = fields[1].lower()
        return entries

    def _write(self, entries: dict[str, str]) -> None:
        lines = "".join(f"{key} {value}\n" for key, value in sorted(entries.items()))
        atomic_write(self.path, lines, mode=0o600)

    def lookup(self, key: str) -> str | None:
        """The pinned fingerprint for ``host:port``, or None."""
        return self._read().get(key)

    def remember(self, key: str, value: str) -> None:
        """Pin ``value`` for ``host:port`` (replacing any older pin)."""
        with self._lock():
            entries = self._read()
            entries[key] = value.lower()
            self._write(entries)

    def forget(self, key: str) -> bool:
        """Remove the pin of ``host:port``; False when there was none."""
        with self._lock():
            entries = self._read()
            if entries.pop(key, None) is None:
                return False
            self._write(entries)
            return True

    def check(self, key: str, seen: str) -> None:
        """Pin ``seen`` on first use; raise :class:`CertificateChanged` when it differs."""
        pinned = self.lookup(key)
        if pinned == seen:
            return
        if pinned is None:
            with self._lock():
                pinned = self._read().get(key)
                if pinned is None:
                    entries = self._read()
                    entries[key] = seen
                    self._write(entries)
                    log.info("pinned the TLS certificate of %s: sha256 %s", key, seen)
                    return
            if pinned == seen:
                return
        raise CertificateChanged(
            f"the TLS certificate of {key} changed: pinned sha256 {pinned}, "
            f"the router now presents sha256 {seen}",
            hint=(
                f"if the router's certificate was replaced on purpose, remove the line "
                f"starting with '{key}' from {self.path} and connect again; otherwise "
                "someone may be intercepting the connection"
            ),
        )


class _PinningSSLObject(ssl.SSLObject):
    """Checks the peer certificate against the pin store right after the handshake."""

    def do_handshake(self) -> None:
        super().do_handshake()
        context = self.context
        if isinstance(context, _PinningContext):
            der = self.getpeercert(binary_form=True)
            if not der:
                raise ssl.SSLError("the router presented no certificate to pin")
            context.known_hosts.check(context.key, fingerprint(der))


class _PinningContext(ssl.SSLContext):
    """A client context without CA checks whose handshakes end with the pin check."""

    sslobject_class = _PinningSSLObject
    key: str
    known_hosts: KnownHosts


def ssl_context(
    mode: TLSMode,
    *,
    host: str,
    port: int,
    ca_file: str | os.PathLike[str] | None = None,
    known_hosts: KnownHosts | None = None,
) -> ssl.SSLContext:
    """The client :class:`ssl.SSLContext` for one router in ``mode``."""
    if mode not in TLS_MODES:
        raise UsageError(f"unknown TLS mode {mode!r}", hint="use verify, pin or insecure")
    if ca_file is not None and mode != "verify":
        raise UsageError(
            f"a CA file only applies to tls=verify, not tls={mode}",
            hint="drop the CA file, or verify against it",
        )
    if mode == "verify":
        if ca_file is not None:
            path = Path(ca_file)
            if not path.is_file():
                raise UsageError(f"CA file not found: {path}", hint="give the path of a PEM file")
            return ssl.create_default_context(cafile=str(path))
        return _default_verify_context()
    if mode == "insecure":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    pinning = _PinningContext(ssl.PROTOCOL_TLS_CLIENT)
    pinning.check_hostname = False
    pinning.verify_mode = ssl.CERT_NONE
    pinning.key = host_port(host, port)
    pinning.known_hosts = known_hosts if known_hosts is not None else KnownHosts()
    return pinning


@functools.cache
def _default_verify_context() -> ssl.SSLContext:
    """The CAs httpx trusts by default (certifi, or ``SSL_CERT_FILE``); built once per process,
    since loading a CA bundle costs tens of milliseconds."""
    cafile = os.environ.get("SSL_CERT_FILE")
    if not cafile:
        try:
            import certifi
        except ImportError:  # pragma: no cover - certifi comes with httpx
            return ssl.create_default_context()
        cafile = certifi.where()
    return ssl.create_default_context(cafile=cafile)


def plain_http_context() -> ssl.SSLContext:
    """For ``http://`` routers: a context that is never used (no TLS, redirects are not
    followed) and so loads no CAs; it still verifies, should anything ever use it."""
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
