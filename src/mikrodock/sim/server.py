"""The simulator's HTTP face: a Starlette app with RouterOS REST, WebFig and sim-only routes.

Routes:

* ``GET /``: a WebFig-like page, 200 without auth (the cheap "is it up" probe);
* ``/rest/...``: RouterOS REST (:mod:`mikrodock.sim.rest`), HTTP Basic auth;
* ``/sim/...``: controls for tests and the CHR layer, same auth: ``POST /sim/power-cycle``,
  ``POST /sim/reboot``, ``GET|POST|DELETE /sim/faults``, ``PUT /sim/files/<name>`` (raw bytes),
  ``POST /sim/image-failures`` (``{"pattern": ..., "error": ...}``),
  ``GET /sim/state``.

Fault injection sits in front of everything as a plain ASGI middleware (see
:mod:`mikrodock.sim.faults`). A ``drop`` fault aborts the TCP connection through uvicorn's
transport when it can reach it, and otherwise sends a response head and cuts the body short.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import html
import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from mikrodock.errors import UsageError
from mikrodock.sim.base import RestError
from mikrodock.sim.faults import FaultSet
from mikrodock.sim.files import put_file
from mikrodock.sim.rest import Reply, Rest
from mikrodock.sim.state import public

__all__ = ["FaultMiddleware", "build_app"]

_JSON = "application/json"


def _json_response(status: int, body: Any) -> Response:
    if body is None:
        return Response(status_code=status)
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return Response(text, status_code=status, media_type=_JSON)


def _error(error: RestError) -> Response:
    return _json_response(error.status, error.body())


class FaultMiddleware:
    """Applies the :class:`FaultSet` to each HTTP request before the app sees it."""

    def __init__(self, app: ASGIApp, faults: FaultSet) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        firing = self.faults.check(scope["method"], scope["path"])
        for fault in firing:
            if fault.kind == "latency":
                await asyncio.sleep(fault.seconds)
        for fault in firing:
            if fault.kind == "error500":
                body = RestError(500, "simulated fault").body()
                await _json_response(500, body)(scope, receive, send)
                return
            if fault.kind == "drop":
                await _drop(send)
                return
        await self.app(scope, receive, send)


async def _drop(send: Send) -> None:
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is not None and hasattr(transport, "abort"):
        cycle.disconnected = True  # type: ignore[union-attr]
        transport.abort()
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", b"1000"), (b"content-type", _JSON.encode())],
        }
    )
    await send({"type": "http.response.body", "body": b"[", "more_body": False})


def build_app(rest: Rest, faults: FaultSet) -> ASGIApp:
    """The ASGI app of one simulator (logins are checked against its ``/user`` menu)."""
    router = rest.router

    def authorized(request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            given = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return False
        name, _, password = given.partition(":")
        return router.check_login(name, password)

    def unauthorized() -> Response:
        response = _error(RestError(401))
        response.headers["WWW-Authenticate"] = 'Basic realm="mikrodock sim"'
        return response

    async def webfig(request: Request) -> Response:
        title = html.escape(f"RouterOS v{router.version}")
        return HTMLResponse(
            f"<!doctype html><html><head><title>{title}</title></head>"
            f"<body><h1>{title}</h1><p>mikrodock RouterOS simulator</p></body></html>"
        )

    async def rest_endpoint(request: Request) -> Response:
        if not authorized(request):
            return unauthorized()
        raw = await request.body()
        body: Any = None
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError as error:
                return _error(RestError(400, f"invalid JSON: {error}"))
        params = dict(request.query_params)
        reply: Reply = await rest.handle(request.method, request.path_params["path"], params, body)
        return _json_response(reply.status, reply.body)

    async def power_cycle(request: Request) -> Response:
        if not authorized(request):
            return unauthorized()
        router.power_cycle()
        router.state.save_if_dirty()
        return _json_response(200, {})

    async def reboot(request: Request) -> Response:
        if not authorized(request):
            return unauthorized()
        router.reboot()
        router.state.save_if_dirty()
        return _json_response(200, {})

    async def faults_endpoint(request: Request) -> Response:
        if not authorized(request):
            return unauthorized()
        if request.method == "DELETE":
            faults.clear()
            return _json_response(204, None)
        if request.method == "POST":
            try:
                spec = json.loads(await request.body() or b"{}")
                fault = faults.add(
                    str(spec.get("method", "*")),
                    str(spec.get("path", "*")),
                    nth=int(spec.get("nth", 1)),
                    kind=str(spec.get("kind", "error500")),
                    seconds=float(spec.get("seconds", 0)),
                    times=int(spec.get("times", 1)),
                )
            except (ValueError, TypeError, AttributeError, UsageError) as error:
                return _error(RestError(400, f"bad fault: {error}"))
            return _json_response(201, fault.to_json())
        return _json_response(200, [f.to_json() for f in faults.all()])

    async def image_failures(request: Request) -> Response:
        if not authorized(request):
            return unauthorized()
        try:
            spec = json.loads(await request.body() or b"{}")
            pattern = str(spec["pattern"])
            error = str(spec.get("error") or "failure: no manifest found for this architecture")
        except (ValueError, KeyError, TypeError, AttributeError) as error_:
            return _error(RestError(400, f"bad image failure: {error_}"))
        with router.state.lock:
            router.image_failures[pattern] = error
        return _json_response(201, {"pattern": pattern, "error": error})

    async def files_endpoint(request: Request) -> Response:
        if not authorized(request):
            return unauthorized()
        try:
            item = put_file(router, request.path_params["name"], await request.body())
        except RestError as error:
            return _error(error)
        router.state.save_if_dirty()
        return _json_response(201, public(item))

    async def state_endpoint(request: Request) -> Response:
        if not authorized(request):
            return unauthorized()
        with router.state.lock:
            router.advance()
            return _json_response(200, router.state.to_json())

    routes = [
        Route("/", webfig, methods=["GET", "HEAD"]),
        Route(
            "/rest/{path:path}", rest_endpoint, methods=["GET", "PUT", "PATCH", "DELETE", "POST"]
        ),
        Route("/sim/power-cycle", power_cycle, methods=["POST"]),
        Route("/sim/reboot", reboot, methods=["POST"]),
        Route("/sim/faults", faults_endpoint, methods=["GET", "POST", "DELETE"]),
        Route("/sim/files/{name:path}", files_endpoint, methods=["PUT"]),
        Route("/sim/image-failures", image_failures, methods=["POST"]),
        Route("/sim/state", state_endpoint, methods=["GET"]),
    ]
    return FaultMiddleware(Starlette(routes=routes), faults)
