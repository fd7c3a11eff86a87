"""TLS for the REST client: CA verification, no verification, or trust on first use.

Three modes, chosen per client (``tls=``):

``"verify"`` (default)
    The router's certificate must verify against the system CAs, or against ``ca_file``.
``"pin"``
    Trust on first use, like ssh: the first connection to ``host:port`` records the SHA-256
    fingerprint of the certificate the router presents (RouterOS routers usually have a
    self-signed one); every later connection must present the same certificate, else
    :class:`~mikrodock.errors.CertificateChanged`. CA signatures and host names are not
    consulted: the fingerprint is the trust anchor. A pin is kept for the name as typed and for
    every address that name resolves to, and all of them are checked: ``localhost:8443`` cannot
    bypass a pin made for ``127.0.0.1:8443``. A new pin goes through the first-use hook
    (:func:`set_first_use`), which may show the fingerprint or refuse it.
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
import socket
import ssl
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from mikrodock.errors import CertificateChanged, MikrodockError, UsageError

if TYPE_CHECKING:  # the pins file's helpers load when a pin is looked up, not for http://
    import filelock

__all__ = [
    "TLS_MODES",
    "FirstUse",
    "KnownHosts",
    "PinRefused",
    "TLSMode",
    "fingerprint",
    "host_port",
    "normalize_fingerprint",
    "pin_keys",
    "plain_http_context",
    "set_first_use",
    "ssl_context",
    "tls_mode",
]

log = logging.getLogger(__name__)

TLSMode = Literal["verify", "pin", "insecure"]
TLS_MODES: tuple[TLSMode, ...] = ("verify", "pin", "insecure")


def fingerprint(der: bytes) -> str:
    """SHA-256 of a DER certificate, lowercase hex without separators."""
    return hashlib.sha256(der).hexdigest()


FirstUse = Callable[[str, str], None]
"""Called with (``host:port`` keys joined by ", ", sha256 hex) before a new pin is written; it
may raise to refuse the certificate (nothing is pinned and no request is sent)."""


def _log_first_use(keys: str, seen: str) -> None:
    log.info("pinned the TLS certificate of %s: sha256 %s", keys, seen)


_first_use: list[FirstUse] = [_log_first_use]


def set_first_use(hook: FirstUse | None) -> None:
    """Install the process's first-use hook (None: pin and log, the library default). The
    command line installs one that prints the fingerprint on a terminal and refuses without
    one unless the expected fingerprint was given."""
    _first_use[0] = hook or _log_first_use


def normalize_fingerprint(text: str) -> str:
    """``SHA256:AB:CD...`` or plain hex -> 64 lowercase hex digits (else ValueError)."""
    value = text.strip().lower().removeprefix("sha256:").removeprefix("sha256")
    value = value.replace(":", "").replace(" ", "").strip()
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise ValueError(f"not a SHA-256 fingerprint: {text!r}")
    return value


def pin_keys(host: str, port: int) -> list[str]:
    """The known_hosts keys checked for a connection: the name as typed, then each address it
    resolves to now (so a second name for a pinned address meets that address's pin)."""
    keys = [host_port(host, port)]
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return keys  # the connection itself will fail and say why
    for info in infos:
        key = host_port(str(info[4][0]), port)
        if key not in keys:
            keys.append(key)
    return keys


def host_port(host: str, port: int) -> str:
    """The known_hosts key of a router: ``host:port``, ``[::1]:443`` for IPv6."""
    host = host.lower()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"


class KnownHosts:
    """The pinned fingerprints file (``host:port sha256-hex`` lines), safe across processes."""

    def __init__(self, path: Path | None = None) -> None:
        if path is None:
            from mikrodock.paths import config_dir

            path = config_dir() / "known_hosts"
        self.path = path

    def _lock(self) -> filelock.FileLock:
        import filelock

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
        from mikrodock.paths import atomic_write

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

    def check(self, key: str | Sequence[str], seen: str) -> None:
        """Accept ``seen`` when every pinned key agrees; pin it on first use (after the
        first-use hook); raise :class:`CertificateChanged` when any pin differs."""
        keys = [key] if isinstance(key, str) else list(key)
        entries = self._read()
        if all(entries.get(k) == seen for k in keys):
            return
        with self._lock():
            entries = self._read()
            for k in keys:
                pinned = entries.get(k)
                if pinned is not None and pinned != seen:
                    raise self._changed(k, pinned, seen)
            if not any(k in entries for k in keys):
                _first_use[0](", ".join(keys), seen)
            for k in keys:  # a name or address new to an already trusted certificate
                entries[k] = seen
            self._write(entries)

    def _changed(self, key: str, pinned: str, seen: str) -> CertificateChanged:
        return CertificateChanged(
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
            try:
                context.known_hosts.check(context.key, fingerprint(der))
            except MikrodockError as refused:
                if not context.refusal_as_ssl_error:
                    raise
                raise PinRefused(refused) from refused


class PinRefused(ssl.SSLError):
    """The pin check's refusal in the form asyncio's TLS expects of a failed handshake (an
    :class:`ssl.SSLError`, which it hands to the caller quietly; anything else it also logs
    as a fatal error with a traceback). ``error`` is the refusal itself."""

    def __init__(self, error: MikrodockError) -> None:
        super().__init__(str(error))
        self.error = error


class _PinningContext(ssl.SSLContext):
    """A client context without CA checks whose handshakes end with the pin check."""

    refusal_as_ssl_error = False
    """Set for asyncio's own TLS (the API protocol's transport): see :class:`PinRefused`."""

    sslobject_class = _PinningSSLObject
    key: list[str]
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
    pinning.key = pin_keys(host, port)
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


def tls_mode(tls: str | None, *, insecure: bool) -> TLSMode:
    """The mode a client was asked for: ``tls=`` or the ``insecure=True`` shorthand."""
    if insecure and tls not in (None, "insecure"):
        raise UsageError(f"insecure=True conflicts with tls={tls!r}", hint="choose one")
    chosen = "insecure" if insecure else (tls or "verify")
    for mode in TLS_MODES:
        if chosen == mode:
            return mode
    raise UsageError(f"unknown TLS mode {tls!r}", hint="use verify, pin or insecure")


@functools.cache
def plain_http_context() -> ssl.SSLContext:
    """For ``http://`` routers: a context that is never used (no TLS, redirects are not
    followed) and so loads no CAs; it still verifies, should anything ever use it."""
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # one per process: making one costs CPU
