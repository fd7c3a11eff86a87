"""Benchmark: ``chr run --accel auto`` where KVM fails, against ``--accel tcg``, side by side.

On a host whose KVM opens but cannot run the guest, the first ``--accel auto`` run tries KVM,
fails and starts again under TCG; mikrodock remembers the failure (``chr/accel.py``), so later
``auto`` runs start under TCG at once. This measures, on the test guest, one private
MIKRODOCK_HOME: the first ``auto`` run, then ROUNDS pairs of ``auto`` and ``tcg`` runs in
alternating order (``chr run`` to ready, then ``chr rm -f``), each a fresh ``mikrodock``
process. Goal (issue 14): from the second run on, ``auto`` within 10 % of ``tcg`` (the median
of the per-pair ratios).

Usage: ``.venv/bin/python bench/bench_accel.py [--rounds 5]``. Where KVM works, or there is no
/dev/kvm, ``auto`` runs under KVM or TCG at once and the figures say so.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _run(image: Path, accel: str, env: dict[str, str]) -> tuple[float, str]:
    cli = [sys.executable, "-m", "mikrodock"]
    began = time.perf_counter()
    done = subprocess.run(
        [*cli, "chr", "run", "--image", str(image), "--name", "b", "--accel", accel, "--json"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    took = time.perf_counter() - began
    subprocess.run([*cli, "chr", "rm", "-f", "b"], env=env, capture_output=True, check=True)
    used = '"accel": "' + done.stdout.split('"accel": "', 1)[-1].split('"', 1)[0] + '"'
    return took, used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from mikrodock.testing.guest import guest_image

    image = guest_image(cache=REPO / ".cache" / "tests" / "test-guest")
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "MIKRODOCK_HOME": home}
        first, used = _run(image, "auto", env)
        print(f"first --accel auto (KVM tried, remembered if it failed): {first:.1f} s, {used}")
        ratios, autos, tcgs = [], [], []
        for index in range(args.rounds):
            order = ("auto", "tcg") if index % 2 == 0 else ("tcg", "auto")
            took = {accel: _run(image, accel, env)[0] for accel in order}
            autos.append(took["auto"])
            tcgs.append(took["tcg"])
            ratios.append(took["auto"] / took["tcg"])
            print(f"round {index + 1}: auto {took['auto']:.1f} s, tcg {took['tcg']:.1f} s")
    ratio = statistics.median(ratios)
    print(f"median auto {statistics.median(autos):.1f} s, tcg {statistics.median(tcgs):.1f} s")
    mark = "ok" if ratio <= 1.10 else "OVER"
    print(f"auto / tcg, median of {args.rounds} pairs: {ratio:.2f} (goal <= 1.10) {mark}")


if __name__ == "__main__":
    main()
