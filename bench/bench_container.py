"""Benchmark: the image of ``mikrodock chr dockerfile`` under podman, on the test guest.

- container start to healthy (cold boot), with the fixed costs beside it: the engine starting a
  container, Python starting mikrodock, QEMU starting a machine;
- the image's size over its base, and the share of each layer (mikrodock's venv, CHR disk);
- a 4-router lab with links from ``lab export --compose`` under podman-compose: up to all
  healthy, wall time.

The image is built the way the tests build it (a debootstrap base kept in podman's storage, a
wheelhouse, no network in the build). Usage: ``.venv/bin/python bench/bench_container.py
[--rounds 2] [--skip-lab]``. Prints Markdown. Removes the containers, volumes and networks it
made; podman's settings come from a containers.conf in a temporary folder (CONTAINERS_CONF).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "dockerci"))
sys.path.insert(0, str(REPO / "src"))

import podman_kit  # noqa: E402
from podman_kit import podman  # noqa: E402

IMAGE = "localhost/mikrodock-chr-bench:guest"
LAB = """\
name: ring
defaults:
  version: 7.22.3
routers:
  r1:
  r2:
  r3:
  r4:
links:
  - r1:ether2=r2:ether2
  - r2:ether3=r3:ether2
  - r3:ether3=r4:ether2
  - r4:ether3=r1:ether3
"""


def _timed(action: Callable[[], object]) -> float:
    began = time.monotonic()
    action()
    return time.monotonic() - began


def _wait_healthy(name: str, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if podman("healthcheck", "run", name, check=False).returncode == 0:
            return
        time.sleep(0.25)
    raise RuntimeError(f"{name} not healthy in {timeout} s")


def build(work: Path) -> str:
    from mikrodock.chr.docker.dockerfile import DockerImageSpec, write_context
    from mikrodock.testing.guest import guest_image

    cache = REPO / ".cache" / "tests"
    cache.mkdir(parents=True, exist_ok=True)
    base = podman_kit.ensure_base(work)
    wheels = podman_kit.wheelhouse(cache, work / "wheels")
    spec = DockerImageSpec(
        "guest", image_file=guest_image(cache=cache / "test-guest"), base_image=base,
        wheelhouse=wheels, stop_timeout=20,
    )  # fmt: skip
    write_context(spec, work / "context")
    podman_kit.build(work / "context", IMAGE)
    return base


def _inside(command: str) -> float:
    """Seconds ``command`` takes inside a fresh container (timed there, without the engine)."""
    timer = (
        "import subprocess, sys, time; t = time.monotonic();"
        " subprocess.run(sys.argv[1], shell=True, check=True, stdout=subprocess.DEVNULL);"
        " print(time.monotonic() - t)"
    )
    return float(podman("run", "--rm", IMAGE, "python3", "-c", timer, command).stdout)


def fixed_costs() -> dict[str, float]:
    engine = statistics.median(
        _timed(lambda: podman("run", "--rm", IMAGE, "true")) for _ in range(3)
    )
    python = _inside("mikrodock --version")
    qmp = '{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n'
    qemu = _inside(
        f"printf '{qmp}' | qemu-system-x86_64 -M q35 -accel tcg -m 256 -nodefaults"
        " -display none -S -qmp stdio"
    )
    return {"engine (podman run, to exit)": engine, "python (mikrodock --version)": python,
            "qemu (q35 machine up and quit)": qemu}  # fmt: skip


def cold_to_healthy(rounds: int) -> list[float]:
    times = []
    for index in range(rounds):
        name = f"mdbench-cold-{index}"
        podman("rm", "-f", "-t", "0", name, check=False)
        began = time.monotonic()
        podman("run", "-d", "--name", name, "-e", "MIKRODOCK_ACCEL=tcg", IMAGE)
        try:
            _wait_healthy(name)
            times.append(time.monotonic() - began)
        finally:
            podman("rm", "-f", "-t", "0", name, check=False)
    return times


def sizes(base: str) -> dict[str, int]:
    image = json.loads(podman("image", "inspect", IMAGE).stdout)[0]["Size"]
    base_size = json.loads(podman("image", "inspect", base).stdout)[0]["Size"]
    layers = json.loads(podman("history", "--format", "json", IMAGE).stdout)
    found = {"image": image, "base": base_size, "python": 0, "chr disk": 0}
    for layer in layers:
        created = str(layer.get("CreatedBy") or layer.get("created_by") or "")
        size = int(layer.get("size") or layer.get("Size") or 0)
        if "venv" in created:
            found["python"] += size
        elif "chr-image" in created:
            found["chr disk"] += size
    qemu = podman(
        "run", "--rm", IMAGE, "dpkg-query", "-W", "-f", "${Installed-Size}\\n",
        "qemu-system-x86", "qemu-system-data", "qemu-system-common", "qemu-utils",
    ).stdout.split()  # fmt: skip
    found["qemu (in the base here)"] = sum(int(kib) for kib in qemu) * 1024
    return found


def lab(work: Path) -> float:
    from ruamel.yaml import YAML

    from mikrodock.lab.export import write_compose
    from mikrodock.lab.labfile import load_lab

    (work / "ring.yaml").write_text(LAB)
    out = work / "lab" / "docker-compose.yml"
    write_compose(load_lab(work / "ring.yaml"), lambda ref: ref, out)
    yaml = YAML(typ="safe")
    doc = yaml.load(out.read_text())
    for service in doc["services"].values():
        service.pop("build")
        service["ports"] = []
        service["environment"]["MIKRODOCK_ACCEL"] = "tcg"
    with out.open("w") as handle:
        yaml.dump(doc, handle)
    podman("tag", IMAGE, "localhost/mikrodock-chr:7.22.3")
    compose = [sys.executable, "-m", "podman_compose", "-f", str(out)]
    try:
        began = time.monotonic()
        subprocess.run([*compose, "up", "-d"], check=True, capture_output=True, timeout=600)
        for router in doc["services"]:
            name = podman(
                "ps", "--filter", f"label=com.docker.compose.service={router}",
                "--format", "{{.Names}}",
            ).stdout.split()[0]  # fmt: skip
            _wait_healthy(name)
        return time.monotonic() - began
    finally:
        subprocess.run([*compose, "down", "-v", "-t", "0"], capture_output=True, check=False)
        podman("rmi", "localhost/mikrodock-chr:7.22.3", check=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--skip-lab", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        conf = work / "containers.conf"
        conf.write_text(podman_kit.CONTAINERS_CONF)
        os.environ["CONTAINERS_CONF"] = str(conf)
        reason = podman_kit.why_no_podman()
        if reason:
            print(f"skipped: {reason}")
            return
        base = build(work)
        costs = fixed_costs()
        cold = cold_to_healthy(args.rounds)
        found = sizes(base)
        print("| container (test guest, TCG) | seconds |")
        print("|---|---|")
        print(f"| start to healthy, cold image (median of {len(cold)}) |"
              f" {statistics.median(cold):.1f} |")  # fmt: skip
        for key, value in costs.items():
            print(f"| fixed cost: {key} | {value:.2f} |")
        if not args.skip_lab:
            print(f"| 4-router ring lab from `lab export --compose`, up to all healthy |"
                  f" {lab(work):.1f} |")  # fmt: skip
        print()
        print("| image size | MiB |")
        print("|---|---|")
        print(f"| image | {found['image'] / 2**20:.0f} |")
        print(f"| over the base | {(found['image'] - found['base']) / 2**20:.0f} |")
        for key in ("python", "chr disk", "qemu (in the base here)"):
            print(f"| {key} | {found[key] / 2**20:.0f} |")


if __name__ == "__main__":
    main()
