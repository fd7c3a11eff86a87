"""Many deploys to ONE router at once (as many mikrodock processes would), against the same
deploys one after the other.

    .venv/bin/python bench/bench_concurrent.py [--deploys 50] [--rounds 1] [--latency 0.02]
                                               [--extract-delay 0.2] [--version 7.22.3]

Each round starts two fresh simulated routers (in a child process, one event loop, so they do
not share this process's CPU): to the first, ``--deploys`` containers one after the other; to
the second, the same containers all at once (``asyncio.gather``, one :class:`AsyncRouter` and
connection pool each, as separate processes would have). Every container has its own host
port. ``--latency`` holds back every REST answer, reads and writes (an ``asyncio`` sleep in
the simulator, no CPU), like a router on a network. After each round the routers are read
back: every deploy must have succeeded, with no address and no host port given twice.

Prints a Markdown table with the medians, and on stderr every round: wall times, how many
deploys failed, duplicate addresses and ports, the REST requests per deploy, and the lost
claims (VETHs added beyond one per container: a concurrent deploy took the address first).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import ipaddress
import multiprocessing
import statistics
import sys
import time
from typing import Any

import httpcore
import httpx

from mikrodock.containers import AsyncRouter, ContainerSpec, PortMapping
from mikrodock.errors import MikrodockError
from mikrodock.routeros.client import MAX_CONNECTIONS
from mikrodock.routeros.tls import plain_http_context


def _serve(count: int, version: str, extract: float, latency: float, out: Any, stop: Any) -> None:
    from mikrodock.sim import Delays, Fault, Simulator

    faults = (
        [Fault("*", "/rest/*", kind="latency", seconds=latency, times=10**9)] if latency else []
    )
    sims = [
        Simulator(version, "x86_64", "admin", None, delays=Delays(extract=extract), faults=faults)
        for _ in range(count)
    ]

    async def serve() -> None:
        served = [asyncio.ensure_future(sim.serve_in_loop()) for sim in sims]
        while not all(sim.serving for sim in sims):
            await asyncio.sleep(0.01)
        for sim in sims:
            out.put((sim.url, sim.password))
        await asyncio.to_thread(stop.wait)
        for sim in sims:
            sim.request_stop()
        await asyncio.gather(*served)

    asyncio.run(serve())


PLAIN = plain_http_context()
COUNTS: collections.Counter[str] = collections.Counter()


class _Counting(httpcore.AsyncConnectionPool):
    """The transport the client would make (its own pool), counting requests and VETH adds."""

    def __init__(self) -> None:
        super().__init__(
            ssl_context=PLAIN,
            max_connections=MAX_CONNECTIONS,
            max_keepalive_connections=MAX_CONNECTIONS,
        )

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        COUNTS["requests"] += 1
        if request.method == b"PUT" and request.url.target.endswith(b"/interface/veth"):
            COUNTS["veth adds"] += 1
        return await super().handle_async_request(request)


def _spec(index: int) -> ContainerSpec:
    return ContainerSpec(
        name=f"web{index}", image="nginx:1.27", ports=(PortMapping(9000 + index, 80),)
    )


async def _deploy(url: str, password: str, index: int) -> bool:
    async with AsyncRouter(url, "admin", password, transport=_Counting()) as router:
        try:
            await router.run(_spec(index), poll=0.2)
        except MikrodockError as error:
            print(f"web{index}: {error.one_line()}", file=sys.stderr)
            return False
        return True


async def _sequential(url: str, password: str, count: int) -> list[bool]:
    return [await _deploy(url, password, i) for i in range(count)]


async def _concurrent(url: str, password: str, count: int) -> list[bool]:
    return list(await asyncio.gather(*(_deploy(url, password, i) for i in range(count))))


def _duplicates(url: str, password: str) -> tuple[int, int]:
    """Addresses and host ports given twice on the router (0, 0 when all are distinct)."""
    with httpx.Client(base_url=f"{url}/rest", auth=("admin", password), timeout=30) as rest:
        veths = rest.get("/interface/veth").json()
        nat = rest.get("/ip/firewall/nat").json()
    addresses = [ipaddress.IPv4Interface(v["address"]).ip for v in veths]
    ports = [(r["protocol"], r["dst-port"]) for r in nat if r.get("chain") == "dstnat"]
    return len(addresses) - len(set(addresses)), len(ports) - len(set(ports))


def _timed(mode: Any, url: str, password: str, count: int) -> dict[str, Any]:
    COUNTS.clear()
    wall = time.perf_counter()
    ok = asyncio.run(mode(url, password, count))
    wall = time.perf_counter() - wall
    dup_addresses, dup_ports = _duplicates(url, password)
    return {
        "wall": wall,
        "failed": ok.count(False),
        "dup addresses": dup_addresses,
        "dup ports": dup_ports,
        "requests per deploy": round(COUNTS["requests"] / count, 1),
        "lost claims": COUNTS["veth adds"] - count,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deploys", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--version", default="7.22.3")
    parser.add_argument("--extract-delay", type=float, default=0.2)
    parser.add_argument(
        "--latency", type=float, default=0.02, help="seconds each REST answer is held back"
    )
    args = parser.parse_args()

    spawn = multiprocessing.get_context("spawn")
    out, stop = spawn.Queue(), spawn.Event()
    child = spawn.Process(
        target=_serve,
        args=(2 * args.rounds, args.version, args.extract_delay, args.latency, out, stop),
    )
    child.start()
    rounds = []
    try:
        routers = [out.get(timeout=120) for _ in range(2 * args.rounds)]
        for index in range(args.rounds):
            seq = _timed(_sequential, *routers[2 * index], args.deploys)
            conc = _timed(_concurrent, *routers[2 * index + 1], args.deploys)
            print(f"round {index + 1}: one after the other {seq}", file=sys.stderr)
            print(f"round {index + 1}: all at once {conc}", file=sys.stderr)
            rounds.append((seq, conc))
    finally:
        stop.set()
        child.join(timeout=30)
        if child.is_alive():
            child.terminate()
    seq_wall = statistics.median(s["wall"] for s, _ in rounds)
    conc_wall = statistics.median(c["wall"] for _, c in rounds)
    failed = sum(s["failed"] + c["failed"] for s, c in rounds)
    dups = sum(c[k] + s[k] for s, c in rounds for k in ("dup addresses", "dup ports"))
    print(
        "| deploys | latency | extract | one after the other (s) | all at once (s) | ratio "
        "| failed | duplicates |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| {args.deploys} | {args.latency * 1000:.0f} ms | {args.extract_delay} s "
        f"| {seq_wall:.2f} | {conc_wall:.2f} | {conc_wall / seq_wall:.2f}x | {failed} | {dups} |"
    )
    return 1 if failed or dups else 0


if __name__ == "__main__":
    sys.exit(main())
