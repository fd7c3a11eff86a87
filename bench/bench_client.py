"""How much the RouterOS client adds on top of raw httpx, on the same requests to the same server.

    .venv/bin/python bench/bench_client.py [--requests 2000] [--rounds 5] [--url URL]

Without ``--url`` a server runs in a child process on 127.0.0.1 (so it does not share the
measuring process's CPU time): the RouterOS simulator (default, seeded with 20 addresses), or
with ``--server starlette`` a bare Starlette app answering RouterOS-shaped bodies (a 17-field
``/system/resource`` object, a 20-item ``/ip/address`` list), the lower bound of server time.
With ``--url`` (a router or a running ``mikrodock sim``) the password comes from
``MIKRODOCK_PASSWORD``.

A last pair of rows sends the same requests through in-memory stand-ins (``httpx.MockTransport``
for httpx, a subclass of httpcore's pool for ours, answering the same bodies, no socket, no
server) to isolate the client's own CPU cost from network and server noise.

Both sides send the same requests with Basic auth and decode the JSON. Rounds alternate between
the two sides; the overhead is the median of the per-round ratios, so drift and background noise
hit both sides alike. Printed: the median microseconds per request of each side and the overhead
(goal: under 10 %).

The sync facade is compared with ``httpx.Client``: its gap is mostly the async stack (httpcore on
anyio, which the async core uses) plus one hop to the facade's event-loop thread, not the
client's own work.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

import httpcore
import httpx

from mikrodock.routeros.client import AsyncRouterClient, RouterClient
from mikrodock.routeros.loop import run_sync

RESOURCE = {
    "architecture-name": "x86_64",
    "board-name": "CHR",
    "build-time": "2026-03-23 14:35:15",
    "cpu": "QEMU",
    "cpu-count": "2",
    "cpu-frequency": "2099",
    "cpu-load": "0",
    "factory-software": "7.1",
    "free-hdd-space": "90000000",
    "free-memory": "819691520",
    "platform": "MikroTik",
    "total-hdd-space": "134217728",
    "total-memory": "1073741824",
    "uptime": "7h17m52s",
    "version": "7.22.3 (stable)",
    "write-sect-since-reboot": "15160",
    "write-sect-total": "15160",
}
ADDRESSES = [
    {
        ".id": f"*{n:X}",
        "address": f"10.0.{n}.1/24",
        "network": f"10.0.{n}.0",
        "interface": f"ether{n}",
        "actual-interface": f"ether{n}",
        "disabled": "false",
        "dynamic": "false",
        "invalid": "false",
        "comment": "",
    }
    for n in range(1, 21)
]


def _serve(port: int) -> None:  # runs in the child process
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def resource(request: Request) -> JSONResponse:
        return JSONResponse(RESOURCE)

    async def addresses(request: Request) -> JSONResponse:
        return JSONResponse(ADDRESSES)

    app = Starlette(
        routes=[
            Route("/rest/system/resource", resource),
            Route("/rest/ip/address", addresses),
        ]
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")


class _Memory(httpcore.AsyncConnectionPool):
    """Our client's stand-in for httpx.MockTransport: the same answers, from memory."""

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        path = request.url.target.decode().split("?", 1)[0]
        body = json.dumps(RESOURCE if path.endswith("/system/resource") else ADDRESSES)
        headers = [(b"Content-Type", b"application/json")]
        return httpcore.Response(200, headers=headers, content=body.encode())


def _in_memory(request: httpx.Request) -> httpx.Response:
    """The same answers without a network: isolates the client's own CPU cost."""
    body = RESOURCE if request.url.path.endswith("/system/resource") else ADDRESSES
    return httpx.Response(200, json=body)


def _serve_sim(port: int, password: str, version: str) -> None:  # runs in the child process
    from mikrodock.sim import Simulator

    Simulator(version, password=password, port=port).serve()


def _seed(url: str, user: str, password: str) -> None:
    """20 addresses on the simulator (on ether1, its one interface), like the Starlette list."""
    with httpx.Client(auth=(user, password), base_url=url + "/rest/") as client:
        for n in range(1, 21):
            body = {"address": f"10.0.{n}.1/24", "interface": "ether1"}
            client.put("ip/address", json=body).raise_for_status()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_up(url: str) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise SystemExit(f"the bench server at {url} did not come up")


async def _timed(count: int, call: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    for _ in range(count):
        await call()
    return (time.perf_counter() - started) / count


def _timed_sync(count: int, call: Callable[[], object]) -> float:
    started = time.perf_counter()
    for _ in range(count):
        call()
    return (time.perf_counter() - started) / count


def _report(name: str, raw: list[float], ours: list[float]) -> float:
    """Median of the paired per-round ratios: drift between rounds cancels out."""
    overhead = statistics.median(o / r for r, o in zip(raw, ours, strict=True)) - 1
    print(
        f"{name:38s} raw httpx {statistics.median(raw) * 1e6:7.0f} us"
        f"   mikrodock {statistics.median(ours) * 1e6:7.0f} us"
        f"   overhead {overhead * 100:+5.1f} %"
    )
    return overhead


async def _bench_async(
    url: str,
    user: str,
    password: str,
    count: int,
    rounds: int,
    in_memory: bool = False,
    label: str = "async",
) -> float:
    auth = httpx.BasicAuth(user, password)
    worst = -1.0
    raw_transport = httpx.MockTransport(_in_memory) if in_memory else None
    async with (
        httpx.AsyncClient(auth=auth, transport=raw_transport) as raw,
        AsyncRouterClient(url, user, password, transport=_Memory() if in_memory else None) as ros,
    ):
        cases: list[tuple[str, Callable[[], Awaitable[object]], Callable[[], Awaitable[object]]]]
        cases = [
            (
                f"{label} get system/resource",
                lambda: _raw_json(raw, f"{url}/rest/system/resource"),
                lambda: ros.get("system/resource"),
            ),
            (
                f"{label} print ip/address (20 rows)",
                lambda: _raw_json(raw, f"{url}/rest/ip/address"),
                lambda: ros.print("ip/address"),
            ),
        ]
        for name, raw_call, our_call in cases:
            await _timed(200, raw_call)  # warm up both: connections, caches
            await _timed(200, our_call)
            raw_times, our_times = [], []
            for _ in range(rounds):
                raw_times.append(await _timed(count, raw_call))
                our_times.append(await _timed(count, our_call))
            worst = max(worst, _report(name, raw_times, our_times))
    return worst


async def _raw_json(client: httpx.AsyncClient, full_url: str) -> object:
    response = await client.get(full_url)
    response.raise_for_status()
    return response.json()


def _bench_sync(url: str, user: str, password: str, count: int, rounds: int) -> float:
    auth = httpx.BasicAuth(user, password)
    with (
        httpx.Client(auth=auth) as raw,
        RouterClient(url, user, password) as ros,
    ):

        def raw_call() -> object:
            response = raw.get(f"{url}/rest/system/resource")
            response.raise_for_status()
            return response.json()

        def our_call() -> object:
            return ros.get("system/resource")

        _timed_sync(200, raw_call)
        _timed_sync(200, our_call)
        raw_times, our_times = [], []
        for _ in range(rounds):
            raw_times.append(_timed_sync(count, raw_call))
            our_times.append(_timed_sync(count, our_call))
        return _report("sync get system/resource", raw_times, our_times)


def _hop_us(count: int = 5000) -> float:
    """What one call through the sync facade's loop thread costs, with nothing to do."""

    async def nothing() -> None:
        return None

    run_sync(nothing())
    started = time.perf_counter()
    for _ in range(count):
        run_sync(nothing())
    return (time.perf_counter() - started) / count * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=200, help="requests per round")
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument(
        "--server",
        choices=("sim", "starlette"),
        default="sim",
        help="what to start: the RouterOS simulator (default) or a bare Starlette app",
    )
    parser.add_argument("--version", default="7.22.3", help="simulated RouterOS version")
    parser.add_argument("--url", help="measure against this running router or simulator")
    parser.add_argument("--user", default="admin")
    args = parser.parse_args(argv)

    child = None
    url = args.url
    password = os.environ.get("MIKRODOCK_PASSWORD", "")
    if url is None:
        port = _free_port()
        spawn = multiprocessing.get_context("spawn")
        if args.server == "sim":
            password = password or "bench-password"
            child = spawn.Process(target=_serve_sim, args=(port, password, args.version))
        else:
            child = spawn.Process(target=_serve, args=(port,))
        child.start()
        url = f"http://127.0.0.1:{port}"
    try:
        _wait_up(url)
        if args.url is None and args.server == "sim":
            _seed(url, args.user, password)
        server = args.url or (f"sim {args.version}" if args.server == "sim" else "starlette")
        print(f"server {server} at {url}, {args.requests} requests x {args.rounds} rounds per side")
        worst = asyncio.run(_bench_async(url, args.user, password, args.requests, args.rounds))
        sync = _bench_sync(url, args.user, password, args.requests, args.rounds)
        memory = asyncio.run(
            _bench_async(
                url,
                args.user,
                password,
                args.requests,
                args.rounds,
                in_memory=True,
                label="in-memory",
            )
        )
        print(f"async client overhead (worst case): {worst * 100:+.1f} % (goal < 10 %)")
        print(f"client CPU cost without network or server: {memory * 100:+.1f} %")
        print(f"sync facade overhead vs httpx.Client: {sync * 100:+.1f} %")
        print(f"  of which the hop to the facade's loop thread: {_hop_us():.0f} us per call")
    finally:
        if child is not None:
            child.terminate()
            child.join(5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
