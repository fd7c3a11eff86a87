"""TLS: CA verification, insecure, and trust-on-first-use pinning, over real HTTPS on 127.0.0.1.

The server is a tiny Starlette app behind uvicorn with a self-signed certificate made here with
``cryptography``; it records every request it receives, so the tests can show that a router
with a changed certificate never got a request (and so never the password).
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mikrodock.errors import CertificateChanged, ConnectionFailed, UsageError
from mikrodock.paths import config_dir
from mikrodock.routeros.client import AsyncRouterOS, RouterOS
from mikrodock.routeros.tls import KnownHosts, fingerprint, host_port


@dataclass
class Cert:
    cert: Path
    key: Path
    fingerprint: str


def make_cert(folder: Path, name: str) -> Cert:
    """A self-signed certificate for 127.0.0.1, like the one a RouterOS router makes itself."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"router-{name}")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / f"{name}.pem", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Cert(cert_path, key_path, fingerprint(cert.public_bytes(serialization.Encoding.DER)))


@dataclass
class Seen:
    requests: list[str] = field(default_factory=list)


def router_app(seen: Seen) -> Starlette:
    async def resource(request: Request) -> JSONResponse:
        seen.requests.append(f"{request.method} {request.url.path}")
        return JSONResponse({"board-name": "CHR", "version": "7.22.3 (stable)"})

    return Starlette(routes=[Route("/rest/system/resource", resource)])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def https_router(cert: Cert, port: int, seen: Seen) -> Iterator[str]:
    """Serve the fake router over HTTPS on 127.0.0.1:port until the block ends."""
    config = uvicorn.Config(
        router_app(seen),
        host="127.0.0.1",
        port=port,
        ssl_certfile=str(cert.cert),
        ssl_keyfile=str(cert.key),
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the HTTPS test server did not start")
        time.sleep(0.01)
    try:
        yield f"https://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def certs(tmp_path: Path) -> tuple[Cert, Cert]:
    return make_cert(tmp_path, "first"), make_cert(tmp_path, "second")


def test_pin_on_first_use_then_refuse_a_changed_certificate(certs: tuple[Cert, Cert]) -> None:
    first, second = certs
    port = free_port()
    known = config_dir() / "known_hosts"
    seen_first, seen_second = Seen(), Seen()
    with https_router(first, port, seen_first) as url:
        with RouterOS(url, "admin", "s3cret", tls="pin") as ros:
            assert ros.get("system/resource")["board-name"] == "CHR"
        # pinned like ssh known_hosts: "host:port sha256-hex"
        assert known.read_text() == f"127.0.0.1:{port} {first.fingerprint}\n"
        assert known.stat().st_mode & 0o777 == 0o600
        with RouterOS(url, "admin", "s3cret", tls="pin") as ros:  # same cert: accepted
            assert ros.get("system/resource")["version"] == "7.22.3 (stable)"
    with https_router(second, port, seen_second) as url:
        ros = RouterOS(url, "admin", "s3cret", tls="pin")
        with ros, pytest.raises(CertificateChanged) as caught:
            ros.get("system/resource")
    message = caught.value.one_line()
    assert first.fingerprint in message and second.fingerprint in message
    assert str(known) in message and f"127.0.0.1:{port}" in message
    assert seen_second.requests == []  # the impostor never saw a request, nor the password
    assert len(seen_first.requests) == 2
    assert known.read_text() == f"127.0.0.1:{port} {first.fingerprint}\n"  # pin kept


def test_forgetting_the_pin_accepts_the_new_certificate(certs: tuple[Cert, Cert]) -> None:
    first, second = certs
    port = free_port()
    store = KnownHosts()
    store.remember(host_port("127.0.0.1", port), first.fingerprint)
    with https_router(second, port, Seen()) as url:
        ros = RouterOS(url, "admin", "", tls="pin")
        with ros, pytest.raises(CertificateChanged):
            ros.get("system/resource")
        assert store.forget(host_port("127.0.0.1", port))
        with RouterOS(url, "admin", "", tls="pin") as ros:
            assert ros.get("system/resource")["board-name"] == "CHR"
    assert store.lookup(host_port("127.0.0.1", port)) == second.fingerprint


@pytest.mark.anyio
async def test_verify_refuses_a_self_signed_certificate_and_says_what_to_do(
    certs: tuple[Cert, Cert],
) -> None:
    first, _ = certs
    seen = Seen()
    with https_router(first, free_port(), seen) as url:
        async with AsyncRouterOS(url, "admin", "") as ros:
            with pytest.raises(ConnectionFailed) as caught:
                await ros.get("system/resource")
        assert "pin" in caught.value.one_line() and "CA" in caught.value.one_line()
        assert not isinstance(caught.value, CertificateChanged)
        assert seen.requests == []


@pytest.mark.anyio
async def test_verify_against_a_ca_file_and_insecure_both_connect(
    certs: tuple[Cert, Cert],
) -> None:
    first, _ = certs
    with https_router(first, free_port(), Seen()) as url:
        async with AsyncRouterOS(url, "admin", "", ca_file=first.cert) as ros:
            assert (await ros.get("system/resource"))["board-name"] == "CHR"
        async with AsyncRouterOS(url, "admin", "", insecure=True) as ros:
            assert (await ros.get("system/resource"))["board-name"] == "CHR"
    assert not (config_dir() / "known_hosts").exists()  # only tls=pin writes pins


def test_conflicting_tls_options_are_refused(certs: tuple[Cert, Cert]) -> None:
    first, _ = certs
    with pytest.raises(UsageError):
        AsyncRouterOS("https://127.0.0.1:1", insecure=True, tls="pin")
    with pytest.raises(UsageError):
        AsyncRouterOS("https://127.0.0.1:1", tls="pin", ca_file=first.cert)
    with pytest.raises(UsageError):
        AsyncRouterOS("https://127.0.0.1:1", tls="trust-me")
