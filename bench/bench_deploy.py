"""Deploy one container (ports, env, a mount) to 50 simulated routers at once, through the
Python API, against one deploy to one router.

    .venv/bin/python bench/bench_deploy.py [--routers 50] [--rounds 3] [--warmup 1]
                                           [--workers 4] [--version 7.22.3]
                                           [--extract-delay 0.2] [--latency 0.02]
                                           [--profile FILE] [--sim-threads]

The simulators run in ``--workers`` child processes (each serving its share on 127.0.0.1, all
on one event loop), so they do not share this process's CPU and GIL with the deploying side.
Each round deploys the same container to one router (``single``) and then to all of them with
``asyncio.gather`` (``fleet``, one :class:`AsyncRouter` each), and removes it again (``rm -f``,
not timed) so every round starts from the same routers; ``--warmup`` rounds run first and are
not counted (the first deploy to a router also creates the shared network). Prints a Markdown
table with the medians and the ratio fleet / single, and on stderr every round, the CPU time
per deploy of this process and of the simulators, and the REST requests per deploy.

``--latency`` holds back every REST answer (the simulator's latency fault, an ``asyncio``
sleep that costs no CPU), like a router that takes that long to answer. On a small machine the
simulators themselves, all in Python on the same cores, are the limit without it.
``--profile FILE`` writes a cProfile of the deploying side of the counted fleet rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import multiprocessing
import os
import statistics
import sys
import time
from typing import Any

import httpcore

from mikrodock.containers import AsyncRouter, ContainerSpec, EnvVar, Mount, PortMapping
from mikrodock.routeros.client import MAX_CONNECTIONS
from mikrodock.routeros.tls import plain_http_context


def _serve(
    count: int, version: str, extract: float, latency: float, threads: bool, out: Any, stop: Any
) -> None:
    from mikrodock.sim import Delays, Fault, Simulator

    faults = (
        [Fault("*", "/rest/*", kind="latency", seconds=latency, times=10**9)] if latency else []
    )
    sims = [
        Simulator(version, "x86_64", "admin", None, delays=Delays(extract=extract), faults=faults)
        for _ in range(count)
    ]

    if threads:  # each in its own thread and event loop (Simulator.start)
        for sim in sims:
            sim.start()
            out.put((sim.url, sim.password))
        stop.wait()
        for sim in sims:
            sim.stop()
        return

    async def serve() -> None:  # all on one event loop: no GIL contention between them
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


NAME = "web"


def _spec() -> ContainerSpec:
    return ContainerSpec(
        name=NAME,
        image="nginx:1.27",
        ports=(PortMapping(8080, 80), PortMapping(8443, 443)),
        env=(EnvVar("MODE", "prod"), EnvVar("WORKERS", "4")),
        mounts=(Mount("disk1/www", "/usr/share/nginx/html", read_only=False),),
    )


REQUESTS = 0
PLAIN = plain_http_context()  # one for all, as the client shares one between http:// clients


class _Counting(httpcore.AsyncConnectionPool):
    """The transport the client would make (one per router, its own pool), counting requests."""

    def __init__(self) -> None:
        super().__init__(
            ssl_context=PLAIN,
            max_connections=MAX_CONNECTIONS,
            max_keepalive_connections=MAX_CONNECTIONS,
        )

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        global REQUESTS
        REQUESTS += 1
        return await super().handle_async_request(request)


async def _deploy(url: str, password: str) -> None:
    async with AsyncRouter(url, "admin", password, transport=_Counting()) as router:
        await router.run(_spec(), poll=0.2)


async def _remove(url: str, password: str) -> None:
    async with AsyncRouter(url, "admin", password) as router:
        await router.rm(NAME, force=True)


async def _timed(routers: list[tuple[str, str]]) -> tuple[float, float]:
    """Wall and CPU seconds of deploying to ``routers`` at once."""
    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(_deploy(url, pw) for url, pw in routers))
    return time.perf_counter() - wall, time.process_time() - cpu


async def _clean(routers: list[tuple[str, str]]) -> None:
    await asyncio.gather(*(_remove(url, pw) for url, pw in routers))


def _sim_cpu(pids: list[int]) -> float:
    """CPU seconds the simulator processes used so far (Linux ``/proc``; 0 elsewhere)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            return 0.0
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def _round(
    routers: list[tuple[str, str]], sims: list[int], profile: cProfile.Profile | None
) -> tuple[Any, ...]:
    global REQUESTS
    REQUESTS = 0
    single, single_cpu = asyncio.run(_timed(routers[:1]))
    asyncio.run(_clean(routers[:1]))
    single_requests, REQUESTS = REQUESTS, 0
    if profile is not None:
        profile.enable()
    sim_before = _sim_cpu(sims)
    fleet, fleet_cpu = asyncio.run(_timed(routers))
    sim_cpu = _sim_cpu(sims) - sim_before
    if profile is not None:
        profile.disable()
    asyncio.run(_clean(routers))
    n = len(routers)
    return single, fleet, single_cpu, fleet_cpu / n, sim_cpu / n, single_requests, REQUESTS / n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--routers", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--version", default="7.22.3")
    parser.add_argument("--extract-delay", type=float, default=0.2)
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds each REST answer is held back"
    )
    parser.add_argument("--profile", help="write a cProfile of the counted fleet rounds here")
    parser.add_argument(
        "--sim-threads",
        action="store_true",
        help="serve each simulator in a thread of its own (costs the simulators more CPU)",
    )
    args = parser.parse_args()

    spawn = multiprocessing.get_context("spawn")
    out, stop = spawn.Queue(), spawn.Event()
    shares = [
        args.routers // args.workers + (i < args.routers % args.workers)
        for i in range(args.workers)
    ]
    children = [
        spawn.Process(
            target=_serve,
            args=(n, args.version, args.extract_delay, args.latency, args.sim_threads, out, stop),
        )
        for n in shares
        if n
    ]
    for child in children:
        child.start()
    profile = cProfile.Profile() if args.profile else None
    try:
        routers = [out.get(timeout=120) for _ in range(args.routers)]
        sims = [child.pid for child in children if child.pid is not None]
        for _ in range(args.warmup):
            _round(routers, sims, None)
        rounds = [_round(routers, sims, profile) for _ in range(args.rounds)]
    finally:
        stop.set()
        for child in children:
            child.join(timeout=30)
            if child.is_alive():
                child.terminate()
    if profile is not None:
        profile.dump_stats(args.profile)
    singles, fleets, single_cpu, fleet_cpu, sim_cpu, single_req, fleet_req = zip(
        *rounds, strict=True
    )
    single, fleet = statistics.median(singles), statistics.median(fleets)
    print("| routers | latency | extract | one deploy (s) | all at once (s) | ratio |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {args.routers} | {args.latency * 1000:.0f} ms | {args.extract_delay} s "
        f"| {single:.2f} | {fleet:.2f} | {fleet / single:.2f}x |"
    )

    def ms(values: tuple[float, ...]) -> list[float]:
        return [round(value * 1000, 1) for value in values]

    print(
        f"singles {[round(s, 2) for s in singles]}, fleets {[round(f, 2) for f in fleets]}\n"
        f"CPU per deploy (ms): this process, one deploy {ms(single_cpu)}, in the fleet "
        f"{ms(fleet_cpu)}; simulators in the fleet {ms(sim_cpu)}\n"
        f"REST requests per deploy: one deploy {list(single_req)}, in the fleet "
        f"{[round(n, 2) for n in fleet_req]}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
