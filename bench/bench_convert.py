"""Benchmark: registry image -> RouterOS archive, mikrodock vs skopeo + umoci + tar.

Builds a ~200 MiB image of several layers (many small files, big files, deletions, hard links)
with umoci, pushes it with skopeo to Debian's docker-registry on 127.0.0.1, then, in one run:

- ``mikrodock image save`` from the registry, with an empty blob cache (and once more warm);
- the pipeline it replaces: ``skopeo copy`` to an OCI layout, ``umoci unpack``, ``tar -c``.

Prints wall times, their ratio and each tool's peak resident memory. Needs root (umoci unpack
keeps owners) and the Debian packages docker-registry, umoci, skopeo.

    .venv/bin/python bench/bench_convert.py [--size-mib 200] [--keep DIR]
"""

from __future__ import annotations

import argparse
import ctypes
import io
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import httpx


def _die_with_parent() -> None:
    ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _high_water(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Run ``argv``; return (wall seconds, CPU seconds, peak RSS of the process in MiB).

    The peak is the kernel's high-water mark of the process's own memory (VmHWM), sampled until
    it exits: wait4's ru_maxrss would also count the pages of this (forking) process.
    """
    start = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, _high_water(process.pid))
        time.sleep(0.005)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        error = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"{argv[0]} failed: {error}")
    return seconds, usage.ru_utime + usage.ru_stime, peak / 1024


def _add_file(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, 1_700_000_000
    tar.addfile(info, io.BytesIO(data))


def _dir(tar: tarfile.TarFile, name: str) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.mode = tarfile.DIRTYPE, 0o755
    tar.addfile(info)


def build_layers(folder: Path, size_mib: int) -> list[Path]:
    """Four layers, about ``size_mib`` MiB in all; half text-like, half incompressible."""
    rng = random.Random(42)
    words = [
        bytes(rng.choices(b"abcdefghijklmnopqrstuvwxyz", k=rng.randint(2, 9))) for _ in range(4000)
    ]
    budget = size_mib << 20

    def text(size: int) -> bytes:
        out = bytearray()
        while len(out) < size:
            out += rng.choice(words) + b" "
        return bytes(out[:size])

    paths = []
    # 1: a "distribution": many small text files
    path = folder / "l1.tar"
    with tarfile.open(path, "w") as tar:
        for top in ("usr", "usr/lib", "usr/share", "etc"):
            _dir(tar, top)
        used, n = 0, 0
        while used < budget * 0.35:
            if n % 200 == 0:
                _dir(tar, f"usr/share/pkg{n // 200}")
            size = rng.randint(512, 48 << 10)
            _add_file(tar, f"usr/share/pkg{n // 200}/file{n}.txt", text(size))
            used, n = used + size, n + 1
    paths.append(path)
    # 2: big binaries
    path = folder / "l2.tar"
    with tarfile.open(path, "w") as tar:
        _dir(tar, "usr/lib/big")
        for i in range(6):
            _add_file(tar, f"usr/lib/big/lib{i}.so", rng.randbytes(int(budget * 0.35 / 6)), 0o755)
    paths.append(path)
    # 3: deletions, an opaque folder, hard links, replacements
    path = folder / "l3.tar"
    with tarfile.open(path, "w") as tar:
        _add_file(tar, "usr/share/pkg0/.wh..wh..opq", b"")
        _add_file(tar, "usr/lib/big/.wh.lib0.so", b"")
        _add_file(tar, "usr/lib/big/lib1.so", rng.randbytes(int(budget * 0.05)), 0o755)
        link = tarfile.TarInfo("usr/lib/big/lib2-link.so")
        link.type, link.linkname = tarfile.LNKTYPE, "usr/lib/big/lib2.so"
        tar.addfile(link)
    paths.append(path)
    # 4: an app: text and binary
    path = folder / "l4.tar"
    with tarfile.open(path, "w") as tar:
        _dir(tar, "app")
        for i in range(200):
            _add_file(tar, f"app/module{i}.py", text(20 << 10))
        _add_file(tar, "app/data.bin", rng.randbytes(int(budget * 0.2)))
    paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mib", type=int, default=240)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    for tool in ("docker-registry", "umoci", "skopeo", "tar"):
        if shutil.which(tool) is None:
            raise SystemExit(f"needs {tool}")
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-convert-"))
    work.mkdir(parents=True, exist_ok=True)
    mikrodock = str(Path(sys.executable).parent / "mikrodock")
    try:
        store = work / "layout"
        subprocess.run(["umoci", "init", "--layout", store], check=True)
        subprocess.run(["umoci", "new", "--image", f"{store}:bench"], check=True)
        subprocess.run(
            [
                "umoci",
                "config",
                "--image",
                f"{store}:bench",
                "--architecture",
                "amd64",
                "--os",
                "linux",
                "--config.cmd",
                "/app/run",
            ],
            check=True,
        )
        for layer in build_layers(work, args.size_mib):
            subprocess.run(
                ["umoci", "raw", "add-layer", "--image", f"{store}:bench", layer], check=True
            )
            layer.unlink()
        blobs = sum(p.stat().st_size for p in (store / "blobs/sha256").iterdir())
        port = _free_port()
        config = {
            "version": 0.1,
            "log": {"level": "error", "accesslog": {"disabled": True}},
            "storage": {"filesystem": {"rootdirectory": str(work / "storage")}},
            "http": {"addr": f"127.0.0.1:{port}"},
        }
        (work / "registry.json").write_text(json.dumps(config))
        log = open(work / "registry.log", "wb")  # noqa: SIM115
        results: dict[str, tuple[float, float, float]] = {}
        registry = subprocess.Popen(
            ["docker-registry", "serve", str(work / "registry.json")],
            stdout=log,
            stderr=log,
            preexec_fn=_die_with_parent,
        )
        try:
            for _ in range(100):
                try:
                    httpx.get(f"http://127.0.0.1:{port}/v2/", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            image = f"127.0.0.1:{port}/bench/app:v1"
            subprocess.run(
                [
                    "skopeo",
                    "copy",
                    "--quiet",
                    "--dest-tls-verify=false",
                    f"oci:{store}:bench",
                    f"docker://{image}",
                ],
                check=True,
            )
            env = {**os.environ, "MIKRODOCK_HOME": str(work / "home")}
            save = [mikrodock, "image", "save", image, "--platform", "linux/amd64", "--quiet"]
            results["mikrodock image save (cold cache)"] = timed(
                [*save, "-o", str(work / "ours.tar")], env
            )
            results["mikrodock image save (warm cache)"] = timed(
                [*save, "-o", str(work / "ours2.tar")], env
            )
            pulled = f"oci:{work / 'pulled'}:bench"
            copy = ["skopeo", "copy", "--quiet", "--src-tls-verify=false"]
            results["skopeo copy"] = timed([*copy, f"docker://{image}", pulled])
            unpack = ["umoci", "unpack", "--image", f"{work / 'pulled'}:bench"]
            results["umoci unpack"] = timed([*unpack, str(work / "bundle")])
            rootfs = str(work / "bundle" / "rootfs")
            results["tar -c"] = timed(["tar", "-cf", str(work / "theirs.tar"), "-C", rootfs, "."])
        finally:
            registry.terminate()
            registry.wait()
        count = len(list((store / "blobs/sha256").iterdir()))
        layer_mib = (work / "ours.tar").stat().st_size / 1048576
        blob_mib = blobs / 1048576
        print(f"image: {count} blobs, {blob_mib:.0f} MiB compressed; archive {layer_mib:.0f} MiB")
        print(f"{'':36} {'wall s':>7} {'CPU s':>7} {'peak MiB':>9}")
        for label, (wall, cpu, peak) in results.items():
            print(f"{label:36} {wall:7.2f} {cpu:7.2f} {peak:9.1f}")
        steps = ("skopeo copy", "umoci unpack", "tar -c")
        wall = sum(results[step][0] for step in steps)
        cpu = sum(results[step][1] for step in steps)
        print(f"{'pipeline (sum)':36} {wall:7.2f} {cpu:7.2f}")
        for label in ("cold", "warm"):
            ours = results[f"mikrodock image save ({label} cache)"]
            walls, cpus = ours[0] / wall, ours[1] / cpu
            print(f"ratio mikrodock/pipeline, {label}: wall {walls:.2f}, CPU {cpus:.2f}")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
