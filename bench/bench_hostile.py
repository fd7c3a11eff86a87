"""Benchmark: the hostile-input corpus (tests/hostile/corpus.py) through the CLI as subprocesses.

Each case runs ``python -m mikrodock ...`` in a scratch folder with a private MIKRODOCK_HOME
and a 30 s limit, and is counted as: clean error (the expected exit code, one line on stderr, no
traceback), accepted (exit 0), traceback, over 5 s. ``harmful`` counts cases that must be refused
but were accepted. Peak memory is the largest child RSS seen (getrusage of the children).

Usage: ``.venv/bin/python bench/bench_hostile.py [--only GROUP] [--slowest 5]``. Prints a
Markdown table per group and the slowest cases.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SLOW = 5.0


def _corpus() -> Any:
    spec = importlib.util.spec_from_file_location("corpus", ROOT / "tests/hostile/corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["corpus"] = module
    spec.loader.exec_module(module)
    return module


def _run(case: Any, corpus: Any) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="hostile-") as scratch:
        folder = Path(scratch)
        corpus.materialize(case, folder)
        env = {
            **os.environ,
            "MIKRODOCK_HOME": str(folder / ".home"),
            "PYTHONPATH": str(ROOT / "src"),
        }
        started = time.perf_counter()
        try:
            done = subprocess.run(
                [sys.executable, "-m", "mikrodock", *case.argv],
                cwd=folder,
                env=env,
                capture_output=True,
                text=True,
                timeout=30,
                stdin=subprocess.DEVNULL,
            )
            code, err = done.returncode, done.stderr
        except subprocess.TimeoutExpired:
            code, err = -1, "timeout"
        seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    lines = err.strip().splitlines()
    if "Traceback" in err:
        verdict = "traceback"
    elif code == 0:
        verdict = "accepted"
    elif code in case.codes and len(lines) <= 1:
        verdict = "clean error"
    else:
        verdict = f"other (exit {code})"
    return {
        "case": case,
        "verdict": verdict,
        "seconds": seconds,
        "harmful": case.expect == "refuse" and code == 0,
        "peak_kib": peak_kib,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help="one group (e.g. 'run flags')")
    parser.add_argument("--slowest", type=int, default=5)
    args = parser.parse_args()
    corpus = _corpus()
    cases = [c for c in corpus.CASES if args.only in (None, c.group)]
    results = [_run(case, corpus) for case in cases]
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for result in results:
        groups[result["case"].group].append(result)
    print("| input | tried | clean error | accepted | traceback | over 5 s | harmful |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for group, rows in [*groups.items(), ("all", results)]:
        count = {
            verdict: sum(1 for r in rows if r["verdict"] == verdict)
            for verdict in ("clean error", "accepted", "traceback")
        }
        slow = sum(1 for r in rows if r["seconds"] > SLOW)
        harmful = sum(1 for r in rows if r["harmful"])
        print(
            f"| {group} | {len(rows)} | {count['clean error']} | {count['accepted']} |"
            f" {count['traceback']} | {slow} | {harmful} |"
        )
    others = [r for r in results if r["verdict"].startswith("other")]
    for result in others:
        print(f"\nunexpected: {result['case'].name}: {result['verdict']}")
    print(f"\npeak child RSS: {max(r['peak_kib'] for r in results) / 1024:.0f} MiB")
    print(f"slowest {args.slowest}:")
    for result in sorted(results, key=lambda r: -r["seconds"])[: args.slowest]:
        print(f"- {result['case'].name}: {result['seconds']:.2f} s ({result['verdict']})")


if __name__ == "__main__":
    main()
