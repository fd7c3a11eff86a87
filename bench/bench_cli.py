"""How fast the command line answers, side by side with a bare Python start in the same run.

    .venv/bin/python bench/bench_cli.py [--rounds 15]

Each round starts, in turn: ``python3 -c pass``, ``mikrodock --version``, ``mikrodock --help``,
``mikrodock run --help`` and ``mikrodock ps`` against a simulator (started once, in a child
process, with 10 containers). Every start is a fresh process, as a user's shell makes it. The
ratio of each command is the median over rounds of its time divided by that round's bare start,
so background load hits both sides alike. Goals: --version at most 5x, --help and run --help at
most 10x, ps at most 16x.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

GOALS = {
    "--version": 5.0,
    "--help": 10.0,
    "run --help": 10.0,
    "ps (10 containers)": 16.0,
    "import typer, httpcore, asyncio": 16.0,
}


def _timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

    from mikrodock.sim import running

    python = sys.executable
    # The command as installed (the console script next to this Python), as a user's shell
    # starts it; ``python -m mikrodock`` would add runpy's start-up (about 3 ms).
    script = os.path.join(os.path.dirname(python), "mikrodock")
    cli = [script] if os.access(script, os.X_OK) else [python, "-m", "mikrodock"]
    with tempfile.TemporaryDirectory() as home, running(version="7.22") as sim:
        env = {**os.environ, "MIKRODOCK_HOME": home, "MIKRODOCK_PASSWORD": sim.password}
        # As installed: with bytecode. (A PYTHONDONTWRITEBYTECODE=1 environment would compile
        # mikrodock's sources on every start, adding about 40 ms to each command.)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        import mikrodock

        subprocess.run(
            [python, "-m", "compileall", "-q", os.path.dirname(mikrodock.__file__)],
            env=env, check=True,
        )  # fmt: skip
        for index in range(10):
            subprocess.run(
                [*cli, "-H", sim.url, "create", "--name", f"c{index}", "alpine"],
                env=env,
                check=True,
                capture_output=True,
            )
        commands = {
            "--version": [*cli, "--version"],
            "--help": [*cli, "--help"],
            "run --help": [*cli, "run", "--help"],
            "ps (10 containers)": [*cli, "-H", sim.url, "ps", "-a"],
            # not ours: what importing ps's dependencies alone costs (the floor under ps)
            "import typer, httpcore, asyncio": [python, "-c", "import typer, httpcore, asyncio"],
        }
        bare: list[float] = []
        times: dict[str, list[float]] = {name: [] for name in commands}
        ratios: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            base = _timed([python, "-c", "pass"], env)
            bare.append(base)
            for name, argv in commands.items():
                took = _timed(argv, env)
                times[name].append(took)
                ratios[name].append(took / base)
    print(f"python3 -c pass: {statistics.median(bare) * 1000:.1f} ms (median of {args.rounds})")
    print(f"{'command':<30} {'median ms':>10} {'x bare':>8} {'goal':>6}")
    for name in commands:
        ratio = statistics.median(ratios[name])
        mark = "ok" if ratio <= GOALS[name] else "OVER"
        print(
            f"{name:<30} {statistics.median(times[name]) * 1000:>10.1f} {ratio:>8.1f}"
            f" {GOALS[name]:>5.0f}x {mark}"
        )


if __name__ == "__main__":
    main()
