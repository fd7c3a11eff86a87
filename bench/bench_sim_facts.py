"""The simulator's command-tree facts: size, load time, start time, memory per simulator.

    .venv/bin/python bench/bench_sim_facts.py [--version 7.24] [--count 50]

Printed: the size of the facts file in the package; in a fresh process, the time to import the
simulator, to build the first router of ``--version`` (which loads the facts) and a second
one; then the resident memory ``--count`` routers of that version add, per router (the facts
are loaded once and shared). Routers are built in process (:class:`SimRouter`), without HTTP.
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
from importlib import resources

_PROBE = """
import gc, resource, sys, time
t0 = time.perf_counter()
from mikrodock.routeros.version import parse_version
from mikrodock.sim.router import SimOptions, SimRouter
t1 = time.perf_counter()
options = SimOptions(version=parse_version(sys.argv[1]))
first = SimRouter(options)
t2 = time.perf_counter()
second = SimRouter(options)
t3 = time.perf_counter()
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()
gc.collect(); before = rss()
kept = [SimRouter(options) for _ in range(int(sys.argv[2]))]
gc.collect(); after = rss()
print(f"import {(t1 - t0) * 1000:.0f} ms, first router {(t2 - t1) * 1000:.0f} ms, "
      f"next router {(t3 - t2) * 1000:.1f} ms")
print(f"{len(kept)} more routers: {(after - before) / len(kept) / 1024:.0f} KiB resident each")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default="7.24")
    parser.add_argument("--count", type=int, default=50)
    args = parser.parse_args()
    facts = resources.files("mikrodock.sim").joinpath("facts", "tree.json.gz")
    print(f"facts: {len(facts.read_bytes()) / 1024:.0f} KiB (all versions)")
    gc.collect()
    subprocess.run([sys.executable, "-c", _PROBE, args.version, str(args.count)], check=True)


if __name__ == "__main__":
    main()
