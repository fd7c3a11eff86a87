"""Deploy one container (ports, env, a mount) to 50 simulated routers at once, through the
Python API, against one deploy to one router.

    .venv/bin/python bench/bench_deploy.py [--routers 50] [--rounds 3] [--workers 4]
                                           [--version 7.22.3] [--extract-delay 0.2]
                                           [--latency 0.02]

The simulators run in ``--workers`` child processes (each serving its share on 127.0.0.1), so
they do not share this process's CPU and GIL with the deploying side. Each round deploys to a
fresh name on every router; ``single`` is the median wall time of deploying to one router,
``fleet`` the median wall time of deploying to all of them with ``asyncio.gather`` (one
:class:`AsyncRouter` each). Prints a Markdown table with the ratio fleet / single.

``--latency`` holds back every REST answer (the simulator's latency fault, an ``asyncio``
sleep that costs no CPU), like a router that takes that long to answer. On a small machine the
simulators themselves, all in Python on the same cores, are the limit without it.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import time
from typing import Any

from mikrodock.containers import AsyncRouter, ContainerSpec, EnvVar, Mount, PortMapping


def _serve(count: int, version: str, extract: float, latency: float, out: Any, stop: Any) -> None:
    from mikrodock.sim import Delays, Fault, Simulator

    faults = (
        [Fault("*", "/rest/*", kind="latency", seconds=latency, times=10**9)] if latency else []
    )
    sims = [
        Simulator(version, "x86_64", "admin", None, delays=Delays(extract=extract), faults=faults)
        for _ in range(count)
    ]
    for sim in sims:
        sim.start()
        out.put((sim.url, sim.password))
    stop.wait()
    for sim in sims:
        sim.stop()


def _spec(name: str) -> ContainerSpec:
    return ContainerSpec(
        name=name,
        image="nginx:1.27",
        ports=(PortMapping(8080, 80), PortMapping(8443, 443)),
        env=(EnvVar("MODE", "prod"), EnvVar("WORKERS", "4")),
        mounts=(Mount("disk1/www", "/usr/share/nginx/html", read_only=False),),
    )


TUNED = False


async def _deploy(url: str, password: str, name: str) -> None:
    options: dict[str, Any] = {}
    if TUNED:  # a plain-http transport: no CA bundle loaded per client (see --tuned)
        import httpx

        options["transport"] = httpx.AsyncHTTPTransport()
    async with AsyncRouter(url, "admin", password, **options) as router:
        await router.run(_spec(name), poll=0.2)


async def _fleet(routers: list[tuple[str, str]], name: str) -> float:
    start = time.perf_counter()
    await asyncio.gather(*(_deploy(url, pw, name) for url, pw in routers))
    return time.perf_counter() - start


async def _single(router: tuple[str, str], name: str) -> float:
    start = time.perf_counter()
    await _deploy(router[0], router[1], name)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--routers", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--version", default="7.22.3")
    parser.add_argument("--extract-delay", type=float, default=0.2)
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds each REST answer is held back"
    )
    parser.add_argument(
        "--tuned",
        action="store_true",
        help="emulate two fixes outside mikrodock: sniffio importable (httpcore retries a failed"
        " `import sniffio` on every request) and no CA bundle loaded for plain-http clients",
    )
    args = parser.parse_args()
    if args.tuned:
        global TUNED
        TUNED = True
        sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]  # import fails fast

    spawn = multiprocessing.get_context("spawn")
    out, stop = spawn.Queue(), spawn.Event()
    shares = [
        args.routers // args.workers + (i < args.routers % args.workers)
        for i in range(args.workers)
    ]
    children = [
        spawn.Process(
            target=_serve, args=(n, args.version, args.extract_delay, args.latency, out, stop)
        )
        for n in shares
        if n
    ]
    for child in children:
        child.start()
    try:
        routers = [out.get(timeout=120) for _ in range(args.routers)]
        singles, fleets, cpu = [], [], []
        for n in range(args.rounds):
            singles.append(asyncio.run(_single(routers[0], f"one{n}")))
            before = time.process_time()
            fleets.append(asyncio.run(_fleet(routers, f"all{n}")))
            cpu.append(time.process_time() - before)
    finally:
        stop.set()
        for child in children:
            child.join(timeout=30)
            if child.is_alive():
                child.terminate()
    single, fleet = statistics.median(singles), statistics.median(fleets)
    print("| routers | latency | extract | tuned | one deploy (s) | all at once (s) | ratio |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {args.routers} | {args.latency * 1000:.0f} ms | {args.extract_delay} s "
        f"| {'yes' if args.tuned else 'no'} | {single:.2f} | {fleet:.2f} | {fleet / single:.2f}x |"
    )
    print(
        f"singles {[round(s, 2) for s in singles]}, fleets {[round(f, 2) for f in fleets]}, "
        f"CPU of this process per fleet {[round(c, 2) for c in cpu]} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
