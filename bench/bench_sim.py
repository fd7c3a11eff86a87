"""Requests per second the RouterOS simulator answers, with 50 concurrent clients.

    .venv/bin/python bench/bench_sim.py [--clients 50] [--seconds 5] [--version 7.22.3]
                                        [--in-process] [--tls]

By default the simulator runs as ``mikrodock sim --port 0`` in a child process, so it does not
share the measuring process's CPU (and GIL) with the clients; ``--in-process`` starts it with
``mikrodock.sim.running`` instead. Each client is its own ``httpx.AsyncClient`` (one keep-alive
connection) sending requests back to back for ``--seconds``. Four workloads:

- ``read``: ``GET /rest/system/resource`` (a computed singleton);
- ``list``: ``GET /rest/interface/veth`` with 50 items;
- ``list1000``: ``GET /rest/ip/firewall/filter`` with 1,000 rules;
- ``write``: ``PUT /rest/interface/bridge`` then ``DELETE`` it (two requests per cycle).

Printed per workload: requests, requests per second, median and p99 latency in milliseconds,
and (child process, Linux) the server's CPU time per request, which varies far less with other
load on the machine than requests per second do.
First, the time ``running()`` takes to start a simulator and to stop it (median of 20, http and
https), since many tests start one.
A last row, ``read-raw``, repeats ``read`` with a minimal hand-written HTTP/1.1 client on asyncio
streams (plain http only): httpx costs more CPU than the server per request, so on a small
machine this row shows what the server itself can answer.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from mikrodock.sim import running

Work = Callable[[httpx.AsyncClient, int, int], Awaitable[int]]


async def _read(client: httpx.AsyncClient, worker: int, step: int) -> int:
    (await client.get("/system/resource")).raise_for_status()
    return 1


async def _list(client: httpx.AsyncClient, worker: int, step: int) -> int:
    (await client.get("/interface/veth")).raise_for_status()
    return 1


async def _list1000(client: httpx.AsyncClient, worker: int, step: int) -> int:
    (await client.get("/ip/firewall/filter")).raise_for_status()
    return 1


async def _write(client: httpx.AsyncClient, worker: int, step: int) -> int:
    made = await client.put("/interface/bridge", json={"name": f"b{worker}-{step}"})
    made.raise_for_status()
    (await client.delete(f"/interface/bridge/{made.json()['.id']}")).raise_for_status()
    return 2


async def _client(
    client: httpx.AsyncClient,
    work: Work,
    worker: int,
    stop_at: float,
    latencies: list[float],
) -> int:
    done = 0
    step = 0
    while time.perf_counter() < stop_at:
        started = time.perf_counter()
        count = await work(client, worker, step)
        latencies.append((time.perf_counter() - started) / count)
        done += count
        step += 1
    return done


async def _measure(
    url: str, auth: tuple[str, str], verify: object, work: Work, clients: int, seconds: float
) -> tuple[int, float, list[float]]:
    """Clients are made (one shared TLS context) and connected before the clock starts."""
    latencies: list[float] = []
    made = [
        httpx.AsyncClient(base_url=f"{url}/rest", auth=auth, verify=verify, timeout=30)  # type: ignore[arg-type]
        for _ in range(clients)
    ]
    await asyncio.gather(*(client.get("/system/identity") for client in made))
    started = time.perf_counter()
    stop_at = started + seconds
    try:
        counts = await asyncio.gather(
            *(_client(client, work, n, stop_at, latencies) for n, client in enumerate(made))
        )
    finally:
        await asyncio.gather(*(client.aclose() for client in made))
    return sum(counts), time.perf_counter() - started, latencies


async def _raw_client(
    url: str, auth: tuple[str, str], stop_at: float, latencies: list[float]
) -> int:
    import base64

    host, port = url.split("://", 1)[1].split(":")
    token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    request = (
        f"GET /rest/system/resource HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Basic {token}\r\n\r\n"
    ).encode()
    reader, writer = await asyncio.open_connection(host, int(port))
    done = 0
    while time.perf_counter() < stop_at:
        started = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - started)
        done += 1
    writer.close()
    return done


async def _measure_raw(
    url: str, auth: tuple[str, str], clients: int, seconds: float
) -> tuple[int, float, list[float]]:
    latencies: list[float] = []
    started = time.perf_counter()
    counts = await asyncio.gather(
        *(_raw_client(url, auth, started + seconds, latencies) for _ in range(clients))
    )
    return sum(counts), time.perf_counter() - started, latencies


def _cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of process ``pid`` (Linux /proc), None when unknown."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


_SERVER_PID: list[int] = []


@contextmanager
def _child(version: str, tls: bool) -> Iterator[tuple[str, tuple[str, str], object]]:
    with tempfile.TemporaryDirectory() as folder:
        password_file = Path(folder) / "password"
        password_file.write_text("bench-Pa55\n")
        mikrodock = Path(sys.executable).parent / "mikrodock"
        argv = [
            str(mikrodock),
            "sim",
            "--version",
            version,
            "--port",
            "0",
            "--password-file",
            str(password_file),
            "--json",
        ]
        if tls:
            argv.append("--tls")
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=os.environ.copy())
        try:
            assert process.stdout is not None
            import json

            info = json.loads(process.stdout.readline())
            import ssl

            verify: object = ssl.create_default_context(cafile=info["ca"] if tls else None)
            _SERVER_PID[:] = [process.pid]
            yield info["url"], ("admin", "bench-Pa55"), verify
        finally:
            process.terminate()
            process.wait(timeout=10)


@contextmanager
def _inside(version: str, tls: bool) -> Iterator[tuple[str, tuple[str, str], object]]:
    with running(version=version, tls=tls) as sim:
        import ssl

        verify: object = ssl.create_default_context(cafile=str(sim.ca_path) if tls else None)
        yield sim.url, (sim.user, sim.password), verify


def _startup(tls: bool, rounds: int = 20) -> tuple[float, float]:
    starts, stops = [], []
    for _ in range(rounds):
        began = time.perf_counter()
        with running(tls=tls):
            started = time.perf_counter()
        stops.append(time.perf_counter() - started)
        starts.append(started - began)
    return statistics.median(starts), statistics.median(stops)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--version", default="7.22.3")
    parser.add_argument("--in-process", action="store_true")
    parser.add_argument("--tls", action="store_true")
    args = parser.parse_args()
    where = "in-process" if args.in_process else "child process"
    print(
        f"mikrodock sim {args.version} ({where}{', https' if args.tls else ''}), "
        f"{args.clients} concurrent clients, {args.seconds:g} s per workload, "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
    )
    for tls in (False, True):
        start, stop = _startup(tls)
        print(
            f"running(tls={tls}): start {start * 1000:.1f} ms, stop {stop * 1000:.1f} ms "
            "(median of 20)"
        )
    server = _inside if args.in_process else _child
    with server(args.version, args.tls) as (url, auth, verify):
        seed = httpx.Client(base_url=f"{url}/rest", auth=auth, verify=verify)  # type: ignore[arg-type]
        for n in range(50):
            seed.put("/interface/veth", json={"name": f"veth{n}"}).raise_for_status()
        for n in range(1000):
            rule = {"chain": "forward", "action": "accept", "comment": f"rule {n}"}
            seed.put("/ip/firewall/filter", json=rule).raise_for_status()
        seed.close()
        print(
            f"{'workload':<8} {'requests':>9} {'req/s':>8} {'median ms':>10} {'p99 ms':>8} "
            f"{'server CPU us/req':>18}"
        )
        runs: list[tuple[str, Callable[[], Awaitable[tuple[int, float, list[float]]]]]] = [
            (name, lambda work=work: _measure(url, auth, verify, work, args.clients, args.seconds))
            for name, work in (
                ("read", _read),
                ("list", _list),
                ("list1000", _list1000),
                ("write", _write),
            )
        ]
        if not args.tls:
            runs.append(("read-raw", lambda: _measure_raw(url, auth, args.clients, args.seconds)))
        for name, run in runs:
            pid = _SERVER_PID[0] if _SERVER_PID else None
            cpu_before = _cpu_seconds(pid)
            total, elapsed, latencies = asyncio.run(run())  # type: ignore[arg-type]
            cpu_after = _cpu_seconds(pid)
            cpu = (
                f"{(cpu_after - cpu_before) / total * 1e6:>18.0f}"
                if cpu_before is not None and cpu_after is not None and total
                else f"{'-':>18}"
            )
            latencies.sort()
            p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else 0.0
            print(
                f"{name:<8} {total:>9} {total / elapsed:>8.0f} "
                f"{statistics.median(latencies) * 1000:>10.2f} {p99 * 1000:>8.2f} {cpu}"
            )


if __name__ == "__main__":
    main()
