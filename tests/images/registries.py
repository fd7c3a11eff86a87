"""Registries for the image tests: Debian's docker-registry, a token service, docker logins."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from .imagekit import die_with_parent, free_port, run

USER, PASSWORD = "alice", "s3cret"


# -- registries ------------------------------------------------------------------------------


@dataclass
class Registry:
    host: str  # 127.0.0.1:PORT
    storage: Path
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_registry(folder: Path, storage: Path, auth: dict[str, object] | None = None) -> Registry:
    port = free_port()
    config = {
        "version": 0.1,
        "log": {"level": "error", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(storage)}, "delete": {"enabled": True}},
        "http": {"addr": f"127.0.0.1:{port}", "secret": "test-secret"},
    }
    if auth:
        config["auth"] = auth
    path = folder / f"registry-{port}.json"  # YAML is a superset of JSON
    path.write_text(json.dumps(config))
    log = open(folder / f"registry-{port}.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        ["docker-registry", "serve", str(path)],
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=die_with_parent,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"registry died: {(folder / f'registry-{port}.log').read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v2/", timeout=1).status_code in (200, 401):
                return Registry(f"127.0.0.1:{port}", storage, process)
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("registry did not start")


def push(store: Path, tag: str, host: str, repo: str, *, all_images: bool = False) -> None:
    argv = ["skopeo", "copy", "--quiet", "--dest-tls-verify=false"]
    if all_images:
        argv.append("--all")
    run(*argv, f"oci:{store}:{tag}", f"docker://{host}/{repo}")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class TokenService:
    url: str
    cert_path: Path


@contextlib.contextmanager
def token_service_running(folder: Path) -> Iterator[TokenService]:
    """A Starlette token service on 127.0.0.1 issuing RS256 JWTs for alice/s3cret."""
    import uvicorn
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.x509.oid import NameOID
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mikrodock test token issuer")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = folder / "issuer.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()

    def sign(claims: dict[str, object]) -> str:
        header = {"typ": "JWT", "alg": "RS256", "x5c": [x5c]}
        signing = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing}.{_b64url(signature)}"

    async def token(request: Request) -> JSONResponse:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return JSONResponse({"details": "login required"}, status_code=401)
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        if (user, password) != (USER, PASSWORD):
            return JSONResponse({"details": "bad credentials"}, status_code=401)
        access = []
        scope = request.query_params.get("scope", "")
        if scope.startswith("repository:"):
            _, repo, actions = scope.split(":")
            access.append({"type": "repository", "name": repo, "actions": actions.split(",")})
        stamp = int(time.time())
        claims = {
            "iss": "mikrodock-test",
            "sub": user,
            "aud": "mikrodock-registry",
            "exp": stamp + 600,
            "nbf": stamp - 10,
            "iat": stamp,
            "jti": os.urandom(8).hex(),
            "access": access,
        }
        return JSONResponse({"token": sign(claims), "expires_in": 600})

    app = Starlette(routes=[Route("/token", token)])
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield TokenService(f"http://127.0.0.1:{port}/token", cert_path)
    server.should_exit = True
    thread.join(10)


def write_login(folder: Path, host: str, user: str, password: str) -> None:
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    (folder / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}))
