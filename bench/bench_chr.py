"""Benchmark: CHR machines on the test guest, in one run.

- cold start to ready vs snapshot restore to ready vs clone to ready;
- our overhead: time to ready as ``run`` reports it minus the moment the guest first answers
  an outside prober the same request ``run`` waits for (``/rest/system/resource`` with the
  machine's credentials, answered with a board-name; a new request every 50 ms, at most 8 out,
  started when the console shows the banner, i.e. once the guest's network and HTTP server are
  up), and minus the banner itself;
- disk per machine beyond the shared base (allocated bytes of the overlay after boot);
- 8 machines started at once (clones, then cold boots): all ready, no clash, peak memory.

Usage: ``.venv/bin/python bench/bench_chr.py [--rounds 3] [--skip-cold8]``. Prints a Markdown
table. Uses a private MIKRODOCK_HOME in a temporary folder and removes everything it made.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class FirstAnswer:
    """Probes a URL from outside until the router first answers it as ready; records when.

    The same request ``run`` waits for (with the machine's credentials, a 200 with a board-name:
    a 401 comes back much sooner from the test guest, whose authenticated answer takes a dozen
    programs to compute). A new request every 50 ms (at most 8 waiting, none given up early):
    the earliest moment an outside client could have seen the router ready.
    """

    def __init__(
        self, url: str, after: threading.Event | None = None, auth: tuple[str, str] = ("admin", "")
    ) -> None:
        self.url, self.at, self.after, self.auth = url, 0.0, after, auth
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _probe(self, client: httpx.Client, slots: threading.Semaphore) -> None:
        try:
            answer = client.get(self.url, auth=self.auth)
            ready = answer.status_code == 200 and "board-name" in answer.json()
            if ready and not self.at:
                self.at = time.time()
                self._stop.set()
        except (httpx.HTTPError, ValueError):
            pass
        finally:
            slots.release()

    def _run(self) -> None:
        if self.after is not None:
            self.after.wait(300)
        slots = threading.Semaphore(8)
        with httpx.Client(timeout=30.0, limits=httpx.Limits(max_connections=10)) as client:
            while not self._stop.is_set():
                if slots.acquire(timeout=0.05):
                    threading.Thread(target=self._probe, args=(client, slots), daemon=True).start()
                self._stop.wait(0.05)

    def stop(self) -> float:
        """The first answer's time (waiting for requests still out, up to 30 s)."""
        self._stop.wait(30)
        self._stop.set()
        self._thread.join(timeout=5)
        return self.at


class BannerSeen:
    """Watches a machine's console log (every 5 ms) for the login banner; records when.

    The test guest prints the banner right after its HTTP server starts, so ``ready reported -
    banner seen`` bounds our overhead from above (it includes the guest's own time to serve its
    first request); it also tells the outside prober when to start.
    """

    def __init__(self, log: Path) -> None:
        self.log, self.at = log, 0.0
        self.seen = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if b"MikroTik" in self.log.read_bytes():
                    self.at = time.time()
                    self.seen.set()
                    return
            except OSError:
                pass
            time.sleep(0.005)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join(timeout=5)
        return self.at


def _allocated(path: Path) -> int:
    return path.stat().st_blocks * 512


def _peak_rss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1])
    return total / 1024


def _at_once(count: int, start: Callable[[int], object]) -> tuple[float, list[object]]:
    results: list[object] = [None] * count
    errors: list[BaseException] = []

    def one(index: int) -> None:
        try:
            results[index] = start(index)
        except BaseException as exc:  # reported below
            errors.append(exc)

    began = time.monotonic()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.monotonic() - began, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-cold8", action="store_true")
    options = parser.parse_args()
    home = tempfile.mkdtemp(prefix="mikrodock-bench-")
    os.environ["MIKRODOCK_HOME"] = home

    from mikrodock.chr import machine, snapshots
    from mikrodock.chr.machine import RunRequest
    from mikrodock.paths import state_dir
    from mikrodock.testing.guest import guest_image

    guest = guest_image(cache=REPO / ".cache" / "tests" / "test-guest")
    rows: list[tuple[str, str]] = []
    cold, overhead, overhead_pw, restore, clone, disks = [], [], [], [], [], []
    outside: list[float] = []
    try:
        for round_ in range(options.rounds):
            port = _free_port()
            banner = BannerSeen(state_dir() / "machines" / f"cold{round_}" / "serial.log")
            # probing starts once the guest's network is up (no connection held by QEMU)
            watcher = FirstAnswer(f"http://127.0.0.1:{port}/rest/system/resource", banner.seen)
            began = time.time()
            result = machine.run(
                RunRequest(
                    image_path=guest,
                    name=f"cold{round_}",
                    password="",
                    accel="tcg",
                    publish=(f"{port}:80",),
                )
            )
            returned = time.time()
            seen = banner.stop()
            first = watcher.stop()
            cold.append(returned - began)
            overhead.append(returned - first)
            outside.append(returned - seen)
            print(
                f"round {round_}: run {returned - began:.2f} s, banner {seen - began:.2f} s,"
                f" outside first answer {first - began:.2f} s,"
                f" ours {result.timings['first_answer'] - began:.2f} s",
                file=sys.stderr,
            )
            disks.append(_allocated(result.record.dir / "disk.qcow2"))
            machine.remove(f"cold{round_}", force=True)

        # with provisioning (generated password), as `chr run` does by default
        banner = BannerSeen(state_dir() / "machines" / "src" / "serial.log")
        result = machine.run(RunRequest(image_path=guest, name="src", accel="tcg"))
        overhead_pw.append(time.time() - banner.stop())
        password = (result.record.dir / "password").read_text().strip()
        began = time.monotonic()
        info = snapshots.save("src", "ready")
        save_seconds = time.monotonic() - began
        for round_ in range(options.rounds):
            began = time.monotonic()
            snapshots.restore("src", "ready", note=lambda _: None)
            restore.append(time.monotonic() - began)
            began = time.monotonic()
            snapshots.clone("src:ready", name=f"clone{round_}")
            clone.append(time.monotonic() - began)
            print(
                f"round {round_}: restore {restore[-1]:.2f} s, clone {clone[-1]:.2f} s",
                file=sys.stderr,
            )
            disks.append(_allocated(machine.load_record(f"clone{round_}").dir / "disk.qcow2"))
            machine.remove(f"clone{round_}", force=True)

        seconds8, made = _at_once(8, lambda i: snapshots.clone("src:ready", name=f"many{i}"))
        records = [r.record for r in made]  # type: ignore[attr-defined]
        names_ok = len({r.name for r in records}) == 8
        ports = [p for r in records for p in (f.host for f in r.ports)]
        ports_ok = len(set(ports)) == len(ports)
        ready_ok = all(
            httpx.get(f"{r.url}/rest/system/resource", auth=("admin", password)).is_success
            for r in records
        )
        rss8 = _peak_rss_mib([r.pid for r in records])
        for record in records:
            machine.remove(record.name, force=True)
        machine.remove("src", force=True)
        cold8 = ""
        if not options.skip_cold8:
            seconds, made = _at_once(
                8,
                lambda i: machine.run(
                    RunRequest(
                        image_path=guest, name=f"cold8-{i}", password="", accel="tcg", timeout=600
                    )
                ),
            )
            recs = [r.record for r in made]  # type: ignore[attr-defined]
            ok = (
                len({r.name for r in recs}) == 8
                and len({p for r in recs for p in (f.host for f in r.ports)}) == 40
            )
            cold8 = (
                f"{seconds:.1f} s wall, all ready, clash-free: {ok},"
                f" peak RSS {_peak_rss_mib([r.pid for r in recs]):.0f} MiB"
            )
            for record in recs:
                machine.remove(record.name, force=True)

        med = statistics.median
        rows += [
            ("cold start to ready (TCG, median)", f"{med(cold):.2f} s"),
            ("snapshot restore to ready (median)", f"{med(restore):.2f} s"),
            ("clone to ready (median)", f"{med(clone):.2f} s"),
            ("restore / cold", f"{med(restore) / med(cold):.2f}"),
            ("clone / cold", f"{med(clone) / med(cold):.2f}"),
            (
                "snapshot save",
                f"{save_seconds:.2f} s ({(info.state_bytes) >> 20} MiB memory"
                f" + {info.disk_bytes >> 10} KiB disk)",
            ),
            (
                "overhead: ready reported - first answer from outside (median)",
                f"{med(overhead):.3f} s",
            ),
            ("ready reported - guest HTTP server started (median)", f"{med(outside):.3f} s"),
            ("same, with the generated password set", f"{overhead_pw[0]:.3f} s"),
            ("disk per machine beyond base (max)", f"{max(disks) / 1024:.0f} KiB"),
            (
                "8 clones at once",
                f"{seconds8:.1f} s wall, all ready: {ready_ok}, names unique:"
                f" {names_ok}, ports unique: {ports_ok}, peak RSS {rss8:.0f} MiB",
            ),
        ]
        if cold8:
            rows.append(("8 cold starts at once", cold8))
    finally:
        from mikrodock.chr.status import list_machines

        for item in list_machines():
            machine.remove(item.name, force=True)
        shutil.rmtree(home, ignore_errors=True)
    print(
        f"CHR benchmark on the test guest ({options.rounds} rounds, {os.cpu_count()} CPUs,"
        f" Python {sys.version.split()[0]})\n"
    )
    print("| measure | result |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
