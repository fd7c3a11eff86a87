"""The RouterOS API protocol against REST, on the simulator (run in a child process).

1. Simulator throughput: 50 concurrent mikrodock clients, each reading /system/identity, over
   REST and over the API protocol; requests per second.
2. Client cost: 500 sequential /interface prints with mikrodock's API transport, with
   librouteros, and with mikrodock's REST transport; wall and CPU (this process) per request.

    python bench/bench_api.py
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from typing import Any

import librouteros

from mikrodock.routeros.client import AsyncRouterClient, RouterClient

CLIENTS, PER_CLIENT, SEQUENTIAL = 50, 40, 500


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


def sequential(name: str, call: object) -> None:
    assert callable(call)
    call()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(SEQUENTIAL):
        call()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"  {name:28} {wall / SEQUENTIAL * 1e3:6.2f} ms/req"
        f"  {cpu / SEQUENTIAL * 1e3:6.2f} ms CPU/req"
    )


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

    client.AsyncRouterClient._exchange = count_rest  # type: ignore[method-assign]
    api_client.ApiTransport._exchange = count_api  # type: ignore[method-assign]
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


def main() -> None:
    proc, info = start_sim()
    try:
        user, password = info["user"], info["password"]
        print(f"simulator throughput, {CLIENTS} clients x {PER_CLIENT} reads:")
        for label, url in (("REST", info["url"]), ("API", info["api-url"])):
            rate = asyncio.run(throughput(url, user, password))
            print(f"  {label:5} {rate:8.0f} req/s")
        print(f"client cost, {SEQUENTIAL} sequential /interface prints:")
        with RouterClient(info["api-url"], user, password) as api_client:
            sequential("mikrodock API transport", lambda: api_client.print("interface"))
        port = int(info["api-url"].rsplit(":", 1)[1])
        lib = librouteros.connect(host="127.0.0.1", port=port, username=user, password=password)
        sequential("librouteros", lambda: list(lib("/interface/print")))
        lib.close()
        with RouterClient(info["url"], user, password) as rest_client:
            sequential("mikrodock REST transport", lambda: rest_client.print("interface"))
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
