"""The RouterOS API protocol against REST, on the simulator (run in a child process).

1. Simulator throughput: 50 concurrent mikrodock clients, each reading /system/identity, over
   REST and over the API protocol; requests per second.
2. Client cost: 1000 sequential /interface prints with librouteros, with mikrodock's API
   transport and with its REST transport (each through the async core, as mikrodock's commands
   run, and through the blocking facade); wall and CPU (this process) per request, the median
   of 5 rounds taken in turn.

    python bench/bench_api.py
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

import librouteros

from mikrodock.routeros.client import AsyncRouterClient, RouterClient

CLIENTS, PER_CLIENT, SEQUENTIAL, ROUNDS = 50, 40, 1000, 5


def start_sim() -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mikrodock", "sim", "--json"],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    assert proc.stdout is not None
    return proc, json.loads(proc.stdout.readline())


async def throughput(url: str, user: str, password: str) -> float:
    clients = [AsyncRouterClient(url, user, password) for _ in range(CLIENTS)]

    async def one(c: AsyncRouterClient) -> None:
        for _ in range(PER_CLIENT):
            await c.get("system/identity")

    await asyncio.gather(*(c.get("system/identity") for c in clients))  # connect, log in
    started = time.perf_counter()
    await asyncio.gather(*(one(c) for c in clients))
    elapsed = time.perf_counter() - started
    for c in clients:
        await c.aclose()
    return CLIENTS * PER_CLIENT / elapsed


def sequential(call: object) -> tuple[float, float]:
    """Wall and CPU seconds (this process, every thread) per call of ``call``."""
    assert callable(call)
    call()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(SEQUENTIAL):
        call()
    return (time.perf_counter() - wall) / SEQUENTIAL, (time.process_time() - cpu) / SEQUENTIAL


async def sequential_async(client: AsyncRouterClient) -> tuple[float, float]:
    """The same through the async core in this thread (as every mikrodock command runs)."""
    await client.print("interface")
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(SEQUENTIAL):
        await client.print("interface")
    return (time.perf_counter() - wall) / SEQUENTIAL, (time.process_time() - cpu) / SEQUENTIAL


def client_cost(info: dict[str, str], user: str, password: str) -> None:
    """Each client in turn, ROUNDS times (the machine's load moves); the median of each."""
    port = int(info["api-url"].rsplit(":", 1)[1])
    lib = librouteros.connect(host="127.0.0.1", port=port, username=user, password=password)
    api_sync = RouterClient(info["api-url"], user, password)
    rest_sync = RouterClient(info["url"], user, password)

    async def core(url: str) -> tuple[float, float]:
        async with AsyncRouterClient(url, user, password) as client:
            return await sequential_async(client)

    runs: dict[str, list[tuple[float, float]]] = {}
    for _ in range(ROUNDS):
        for name, measure in (
            ("librouteros (sync)", lambda: sequential(lambda: list(lib("/interface/print")))),
            ("mikrodock API, async core", lambda: asyncio.run(core(info["api-url"]))),
            ("mikrodock API, sync facade", lambda: sequential(lambda: api_sync.print("interface"))),
            ("mikrodock REST, async core", lambda: asyncio.run(core(info["url"]))),
            (
                "mikrodock REST, sync facade",
                lambda: sequential(lambda: rest_sync.print("interface")),
            ),
        ):
            runs.setdefault(name, []).append(measure())
    lib.close()
    api_sync.close()
    rest_sync.close()
    for name, results in runs.items():
        wall = statistics.median(w for w, _ in results)
        cpu = statistics.median(c for _, c in results)
        print(f"  {name:28} {wall * 1e3:6.3f} ms/req  {cpu * 1e3:6.3f} ms CPU/req")


def deploy(url: str, user: str, password: str, name: str) -> tuple[float, int]:
    """``run -d -p -e -v`` through the Python API: wall seconds and round trips (requests)."""
    from mikrodock.containers import ContainerSpec, EnvVar, PortMapping, Router
    from mikrodock.containers.flags import parse_volume
    from mikrodock.routeros import api_client, client

    sent = [0]
    rest_exchange = client.AsyncRouterClient._exchange
    api_exchange = api_client.ApiTransport._exchange

    async def count_rest(self: Any, *args: Any) -> Any:
        sent[0] += 1
        return await rest_exchange(self, *args)

    async def count_api(self: Any, *args: Any) -> Any:
        sent[0] += 1
        return await api_exchange(self, *args)

    api_follow = api_client.ApiTransport.follow

    def count_follow(self: Any, *args: Any, **kwargs: Any) -> Any:
        sent[0] += 1  # a stream: one print =follow= (its /cancel is not waited for)
        return api_follow(self, *args, **kwargs)

    client.AsyncRouterClient._exchange = count_rest  # type: ignore[method-assign]
    api_client.ApiTransport._exchange = count_api  # type: ignore[method-assign]
    api_client.ApiTransport.follow = count_follow  # type: ignore[method-assign]
    spec = ContainerSpec(
        name=name,
        image="nginx",
        ports=(PortMapping(8080 + len(name), 80),),
        env=(EnvVar("A", "1"),),
        mounts=(parse_volume(f"disk1/{name}:/data"),),
    )
    try:
        with Router(url, user, password) as router:
            started = time.perf_counter()
            router.run(spec, poll=0.05)
            return time.perf_counter() - started, sent[0]
    finally:
        client.AsyncRouterClient._exchange = rest_exchange  # type: ignore[method-assign]
        api_client.ApiTransport._exchange = api_exchange  # type: ignore[method-assign]
        api_client.ApiTransport.follow = api_follow  # type: ignore[method-assign]


def main() -> None:
    proc, info = start_sim()
    try:
        user, password = info["user"], info["password"]
        print(f"simulator throughput, {CLIENTS} clients x {PER_CLIENT} reads:")
        for label, url in (("REST", info["url"]), ("API", info["api-url"])):
            rate = asyncio.run(throughput(url, user, password))
            print(f"  {label:5} {rate:8.0f} req/s")
        print(f"client cost, {SEQUENTIAL} sequential /interface prints, median of {ROUNDS}:")
        client_cost(info, user, password)
        print("deploy (run -d -p -e -v nginx) through the Python API:")
        for label, url, name in (
            ("REST", info["url"], "viarest"),
            ("API", info["api-url"], "viaapi"),
        ):
            seconds, trips = deploy(url, user, password, name)
            print(f"  {label:5} {seconds:6.2f} s  {trips} round trips")
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
