"""Run a simulator: uvicorn on 127.0.0.1, in a background thread (tests) or in front (CLI).

:class:`Simulator` owns one :class:`~mikrodock.sim.router.SimRouter`, its fault set, the
listening socket (bound at construction, so ``port=0`` is resolved before serving) and, with
``tls=True``, a fresh certificate authority and server certificate.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from mikrodock.errors import UsageError
from mikrodock.routeros.version import parse_version
from mikrodock.sim.api_server import ApiServer, start_api_server
from mikrodock.sim.candidates import check_candidates, from_environment
from mikrodock.sim.faults import Fault, FaultSet
from mikrodock.sim.files import file_bytes, find_file, put_file
from mikrodock.sim.rest import Rest
from mikrodock.sim.router import Delays, SimOptions, SimRouter
from mikrodock.sim.server import build_app
from mikrodock.sim.state import Item, public

__all__ = ["Simulator"]

_READY_TIMEOUT = 10.0


class _Server(uvicorn.Server):
    """uvicorn's server, but one that stops at once when asked instead of at its next tick."""

    _loop: asyncio.AbstractEventLoop | None = None
    _wake: asyncio.Event | None = None
    # servers of other protocols on the same loop (the API): started before HTTP, closed first
    extra: list[Callable[[], Awaitable[ApiServer]]]
    _extra_running: list[ApiServer]

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self._extra_running = [await start() for start in getattr(self, "extra", [])]
        await super().startup(sockets)

    async def main_loop(self) -> None:
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)
            should_exit = await self.on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # Idle keep-alive connections are cut at once: a TLS close would otherwise wait for
        # the peer's close_notify (up to the graceful timeout) when the client is not reading.
        for connection in list(self.server_state.connections):
            transport = getattr(connection, "transport", None)
            cycle = getattr(connection, "cycle", None)
            if transport is not None and (cycle is None or cycle.response_complete):
                transport.abort()
        for server in getattr(self, "_extra_running", []):
            server.close()
        await super().shutdown(sockets)

    def request_stop(self) -> None:
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop may be closed already
                loop.call_soon_threadsafe(wake.set)


class Simulator:
    """A simulated RouterOS router served over HTTP(S) on 127.0.0.1.

    Use it as a context manager (``with Simulator(...) as sim:``) or through
    :func:`mikrodock.sim.running`. ``candidates`` picks answers where public sources
    disagree or are silent (``{"image-field": "repo"}``, see :mod:`mikrodock.sim.candidates`;
    without it, ``MIKRODOCK_SIM_CANDIDATES`` names them).
    Attributes: ``url``, ``user``, ``password``, ``port``, ``version``, ``arch``, ``router``
    (the model, for direct inspection) and, with TLS, ``fingerprint`` (SHA-256 hex of the
    server certificate), ``ca_path`` and ``cert_path``.
    """

    def __init__(
        self,
        version: str = "7.22.3",
        arch: str = "x86_64",
        user: str = "admin",
        password: str | None = None,
        *,
        container_package: bool = True,
        extra_packages: frozenset[str] | set[str] | tuple[str, ...] = (),
        device_mode_locked: bool = False,
        tls: bool = False,
        delays: Delays | dict[str, float] | None = None,
        state_file: Path | str | None = None,
        faults: list[Fault] | tuple[Fault, ...] = (),
        port: int = 0,
        candidates: Mapping[str, str] | None = None,
        api_port: int | None = 0,
        api_ssl_port: int | None = 0,
    ) -> None:
        if isinstance(delays, dict):
            delays = Delays(**delays)
        self.generated_password = password is None
        self.password = password if password is not None else _new_password()
        options = SimOptions(
            user=user,
            password=self.password,
            version=parse_version(version),
            arch=arch,
            container_package=container_package,
            extra_packages=frozenset(extra_packages),
            device_mode_locked=device_mode_locked,
            delays=delays or Delays(),
            candidates=from_environment() if candidates is None else check_candidates(candidates),
        )
        if arch not in ("x86_64", "arm64", "arm"):
            raise UsageError(f"unknown architecture {arch!r}", hint="use x86_64, arm64 or arm")
        self.router = SimRouter(options, Path(state_file) if state_file else None)
        self.rest = Rest(self.router)
        self.faults = FaultSet()
        for fault in faults:
            self.faults.add(
                fault.method,
                fault.path,
                nth=fault.nth,
                kind=fault.kind,
                seconds=fault.seconds,
                times=fault.times,
            )
        self.user = user
        self.version = str(options.version)
        self.arch = arch
        self._tempdir: str | None = None
        self._key_path = ""
        self.fingerprint: str | None = None
        self.ca_path: Path | None = None
        self.cert_path: Path | None = None
        ssl: dict[str, Any] = {}
        if tls:
            self._tempdir = tempfile.mkdtemp(prefix="mikrodock-sim-tls-")
            from mikrodock.sim.tls import make_certificates  # cryptography only when needed

            certs = make_certificates(Path(self._tempdir))
            self.fingerprint, self.ca_path, self.cert_path = (
                certs.fingerprint,
                certs.ca_path,
                certs.cert_path,
            )
            ssl = {"ssl_certfile": str(certs.cert_path), "ssl_keyfile": str(certs.key_path)}
            self._key_path = str(certs.key_path)
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says
        # TCP, and without it every answer waits ~40 ms on Nagle + delayed ACK.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._socket.bind(("127.0.0.1", port))
        except OSError as error:
            self._socket.close()
            raise UsageError(
                f"cannot listen on 127.0.0.1:{port}: {error}",
                hint="pick another --port, or 0 for a free one",
            ) from error
        self._socket.listen(128)  # connections wait in the backlog until serving starts
        self.port: int = self._socket.getsockname()[1]
        self.tls = tls
        # The RouterOS API protocol on its own ports (plain; and API-SSL with TLS), same router
        self._api_sockets: list[socket.socket] = []
        self.api_port: int | None = None
        self.api_ssl_port: int | None = None
        if api_port is not None:
            self.api_port = self._listen(api_port, "--api-port")
        if tls and api_ssl_port is not None:
            self.api_ssl_port = self._listen(api_ssl_port, "--api-ssl-port")
        config = uvicorn.Config(
            build_app(self.rest, self.faults),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
            **ssl,
        )
        self._server = _Server(config)
        self._server.extra = [self._api_starter(s, i > 0 or self.api_port is None)
                              for i, s in enumerate(self._api_sockets)]  # fmt: skip
        self._thread: threading.Thread | None = None

    def _listen(self, port: int, flag: str) -> int:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as error:
            sock.close()
            self._socket.close()
            for other in self._api_sockets:
                other.close()
            raise UsageError(
                f"cannot listen on 127.0.0.1:{port}: {error}",
                hint=f"pick another {flag}, or 0 for a free one",
            ) from error
        sock.listen(128)
        self._api_sockets.append(sock)
        return int(sock.getsockname()[1])

    def _api_starter(self, sock: socket.socket, secure: bool) -> Callable[[], Awaitable[ApiServer]]:
        async def start() -> ApiServer:
            context = None
            if secure:
                import ssl

                context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
                context.load_cert_chain(str(self.cert_path), self._key_path)
            return await start_api_server(self.router, self.faults, sock, context)

        return start

    @property
    def api_url(self) -> str | None:
        """``api://127.0.0.1:PORT`` (the RouterOS API protocol), or None when not served."""
        return None if self.api_port is None else f"api://127.0.0.1:{self.api_port}"

    @property
    def api_ssl_url(self) -> str | None:
        """``api-ssl://127.0.0.1:PORT`` (API over TLS; with ``tls=True``), or None."""
        return None if self.api_ssl_port is None else f"api-ssl://127.0.0.1:{self.api_ssl_port}"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def describe(self, password_file: str | None = None) -> dict[str, str]:
        """What ``mikrodock sim`` announces: url, user, where the password comes from, TLS."""
        info = {"url": self.url, "user": self.user, "version": self.version, "arch": self.arch}
        if password_file is not None:
            info["password-file"] = password_file
        elif self.generated_password:
            info["password"] = self.password
        picked = self.router.options.candidates
        if picked:
            info["candidates"] = ",".join(f"{k}={v}" for k, v in sorted(picked.items()))
        if self.api_url is not None:
            info["api-url"] = self.api_url
        if self.api_ssl_url is not None:
            info["api-ssl-url"] = self.api_ssl_url
        if self.fingerprint is not None:
            info["sha256"] = self.fingerprint
            info["ca"] = str(self.ca_path)
        return info

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> Simulator:
        """Serve in a background thread; returns once the server accepts connections."""
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name=f"mikrodock-sim-{self.port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + _READY_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the simulator on port {self.port} did not start")
            time.sleep(0.002)
        return self

    def serve(self) -> None:
        """Serve in this thread until SIGINT/SIGTERM (what ``mikrodock sim`` does).

        uvicorn shuts down gracefully on either signal and then raises it again; the handlers
        set here turn that into a quiet exit with status 0."""
        signals = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, _exit_quietly) for sig in signals}
        try:
            self._server.run(sockets=[self._socket])
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self._cleanup()

    async def serve_in_loop(self) -> None:
        """Serve on the running event loop until :meth:`request_stop`, then clean up.

        Many simulators can share one loop (and thread) this way, which costs less CPU than
        a thread each: a fleet of them in one process does not fight over the GIL."""
        try:
            await self._server.serve(sockets=[self._socket])
        finally:
            self._cleanup()

    @property
    def serving(self) -> bool:
        """Whether the server accepts connections (after :meth:`serve_in_loop` began)."""
        return bool(self._server.started)

    def request_stop(self) -> None:
        """Ask the server to stop (from any thread); :meth:`serve_in_loop` then returns."""
        self._server.request_stop()

    def stop(self) -> None:
        """Stop serving; safe to call twice."""
        self._server.request_stop()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._cleanup()

    def _cleanup(self) -> None:
        self._socket.close()
        for sock in self._api_sockets:
            sock.close()
        self.router.state.save_if_dirty()
        if self._tempdir:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- control ---------------------------------------------------------------------------
    def add_fault(
        self,
        method: str = "*",
        path: str = "*",
        *,
        nth: int = 1,
        kind: str = "error500",
        seconds: float = 0.0,
        times: int = 1,
    ) -> Fault:
        """Make the ``nth`` request matching ``method`` and ``path`` (fnmatch) misbehave."""
        return self.faults.add(method, path, nth=nth, kind=kind, seconds=seconds, times=times)

    def fail_image(
        self, pattern: str, error: str = "failure: no manifest found for this architecture"
    ) -> None:
        """Make pulls of remote images matching ``pattern`` (fnmatch) end in an error."""
        with self.router.state.lock:
            self.router.image_failures[pattern] = error

    def clear_faults(self) -> None:
        self.faults.clear()

    def requests(self) -> list[str]:
        """What clients asked, oldest first, as ``"METHOD PATH"``: ``"GET /rest/container"``,
        ``"API /container/print"`` (method ``API`` for the API protocol). Never arguments."""
        return self.faults.requests()

    def power_cycle(self) -> None:
        """Hard reset: confirms a pending device-mode update, applies package changes."""
        self.router.power_cycle()
        self.router.state.save_if_dirty()

    def reboot(self) -> None:
        self.router.reboot()
        self.router.state.save_if_dirty()

    def items(self, menu: str) -> list[Item]:
        """What ``GET /rest/<menu>`` would answer (list menus), as the model holds it now."""
        spec = self.router.engine.spec(menu)
        with self.router.state.lock:
            self.router.advance()
            return self.router.engine.items(spec)

    def put_file(self, name: str, data: bytes) -> Item:
        """Store a file on the router (as an upload would)."""
        with self.router.state.lock:
            item = public(put_file(self.router, name, data))
            self.router.state.save_if_dirty()
            return item

    def read_file(self, name: str) -> bytes | None:
        with self.router.state.lock:
            found = find_file(self.router, name)
            return None if found is None else file_bytes(found)

    def logs(self, topic: str | None = None) -> list[str]:
        """The ``/log`` messages (optionally only those whose topics include ``topic``)."""
        return [
            entry["message"]
            for entry in self.items("log")
            if topic is None or topic in entry.get("topics", "").split(",")
        ]


def _exit_quietly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _new_password() -> str:
    import secrets

    return secrets.token_urlsafe(12)
