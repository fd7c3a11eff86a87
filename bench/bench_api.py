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
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
