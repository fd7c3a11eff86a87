"""Benchmark: the image of ``mikrodock chr dockerfile`` under podman, on the test guest.

- container start to healthy, the cold image and the ``--snapshot`` image side by side (rounds
  alternate between them), with the fixed costs beside them: the engine starting a container,
  Python starting mikrodock, QEMU starting a machine, QEMU loading the baked memory state;
- the images' size over their base, and the share of each part (mikrodock's venv, CHR disk,
  snapshot, QEMU);
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
import re
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
SNAP_IMAGE = "localhost/mikrodock-chr-bench:guest-snapshot"
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
    for tag, snapshot in ((IMAGE, False), (SNAP_IMAGE, True)):
        spec = DockerImageSpec(
            "guest", image_file=guest_image(cache=cache / "test-guest"), base_image=base,
            wheelhouse=wheels, stop_timeout=20, snapshot=snapshot,
        )  # fmt: skip
        context = work / ("context-snapshot" if snapshot else "context")
        write_context(spec, context)
        podman_kit.build(context, tag)
    return base


def _inside(command: str, image: str = IMAGE) -> float:
    """Seconds ``command`` takes inside a fresh container (timed there, without the engine)."""
    timer = (
        "import subprocess, sys, time; t = time.monotonic();"
        " subprocess.run(sys.argv[1], shell=True, check=True, stdout=subprocess.DEVNULL);"
        " print(time.monotonic() - t)"
    )
    return float(podman("run", "--rm", image, "python3", "-c", timer, command).stdout)


STATE_LOAD = """
import asyncio, json, shutil, subprocess, tempfile, time
from pathlib import Path
from qemu.qmp import QMPClient
from mikrodock.chr.argv import MachineSpec, build_argv

snap = Path("/var/lib/mikrodock/snapshot")
meta = json.loads((snap / "snapshot.json").read_text())
work = Path(tempfile.mkdtemp())
shutil.copyfile(snap / "disk.qcow2", work / "disk.qcow2")
spec = MachineSpec(
    name="bench", arch=meta["arch"], disk=work / "disk.qcow2", qmp_socket=work / "qmp.sock",
    serial_socket=work / "serial.sock", serial_log=work / "serial.log",
    pidfile=work / "qemu.pid", memory_mib=meta["memory_mib"], cpus=meta["cpus"], accel="tcg",
    incoming=True, cpu=meta["cpu"],
)
qemu = subprocess.Popen(build_argv(spec))

async def main():
    client = QMPClient("bench")
    while True:
        try:
            await client.connect(str(work / "qmp.sock"))
            break
        except Exception:
            await asyncio.sleep(0.01)
    began = time.monotonic()
    with (snap / "state").open("rb") as handle:
        client.send_fd_scm(handle.fileno())
        await client.execute("getfd", {"fdname": "state"})
    await client.execute("migrate-incoming", {"uri": "fd:state"})
    while (await client.execute("query-migrate")).get("status") != "completed":
        await asyncio.sleep(0.005)
    print(time.monotonic() - began)
    try:
        await client.execute("quit")
    except Exception:
        pass  # QEMU ends and drops the monitor

asyncio.run(main())
qemu.wait()
"""


def fixed_costs() -> dict[str, float]:
    engine = statistics.median(
        _timed(lambda: podman("run", "--rm", IMAGE, "true")) for _ in range(3)
    )
    python = _inside("python3 -c 'import mikrodock.cli.main, mikrodock.chr.docker.serve'")
    qmp = '{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n'
    qemu = _inside(
        f"printf '{qmp}' | qemu-system-x86_64 -M q35 -accel tcg -m 256 -nodefaults"
        " -display none -S -qmp stdio"
    )
    load = statistics.median(
        float(podman("run", "--rm", SNAP_IMAGE, "python3", "-c", STATE_LOAD).stdout)
        for _ in range(3)
    )
    return {"engine (podman run, to exit)": engine, "python (start, chr serve's imports)": python,
            "qemu (q35 machine up and quit)": qemu,
            "state load (QEMU reads the baked memory, median of 3)": load}  # fmt: skip


def to_healthy(image: str, name: str) -> tuple[float, float]:
    """Seconds from ``podman run`` to healthy, and from QEMU's start to the router answering
    (``chr serve``'s own "ready in" line)."""
    podman("rm", "-f", "-t", "0", name, check=False)
    began = time.monotonic()
    podman("run", "-d", "--name", name, "-e", "MIKRODOCK_ACCEL=tcg", image)
    try:
        _wait_healthy(name)
        took = time.monotonic() - began
    finally:
        done = podman("logs", name, check=False)
        logs = done.stdout + done.stderr
        podman("rm", "-f", "-t", "0", name, check=False)
    if image == SNAP_IMAGE and "resumed from the image's snapshot" not in logs:
        raise RuntimeError(f"{name} did not resume the snapshot:\n{logs}")
    ready = re.search(r"ready in ([0-9.]+) s", logs)
    return took, float(ready.group(1)) if ready else float("nan")


def side_by_side(rounds: int) -> dict[str, list[tuple[float, float]]]:
    """Start to healthy of the cold and the snapshot image, alternating."""
    found: dict[str, list[tuple[float, float]]] = {"cold": [], "snapshot": []}
    for index in range(rounds):
        found["cold"].append(to_healthy(IMAGE, f"mdbench-cold-{index}"))
        found["snapshot"].append(to_healthy(SNAP_IMAGE, f"mdbench-snap-{index}"))
    return found


def _layers(image: str) -> dict[str, int]:
    found = {"python": 0, "chr disk": 0, "bake": 0}
    for layer in json.loads(podman("history", "--format", "json", image).stdout):
        created = str(layer.get("CreatedBy") or layer.get("created_by") or "")
        size = int(layer.get("size") or layer.get("Size") or 0)
        if "venv" in created:
            found["python"] += size
        elif "chr-image" in created and "--bake" not in created:
            found["chr disk"] += size
        elif "--bake" in created:
            found["bake"] += size
    return found


def sizes(base: str) -> dict[str, int]:
    def size(tag: str) -> int:
        return int(json.loads(podman("image", "inspect", tag).stdout)[0]["Size"])

    found = {"image": size(IMAGE), "snapshot image": size(SNAP_IMAGE), "base": size(base)}
    found |= {k: v for k, v in _layers(IMAGE).items() if k != "bake"}
    meta = json.loads(
        podman("run", "--rm", SNAP_IMAGE, "cat", "/var/lib/mikrodock/snapshot/snapshot.json").stdout
    )
    found["snapshot (memory state)"] = meta["state_bytes"]
    found["snapshot (disk at the bake)"] = meta["disk_bytes"]
    found["bake layer, rest (the CHR disk imported into the cache)"] = (
        _layers(SNAP_IMAGE)["bake"] - meta["state_bytes"] - meta["disk_bytes"]
    )
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
    parser.add_argument("--rounds", type=int, default=3)
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
        runs = side_by_side(args.rounds)
        found = sizes(base)
        medians = {
            kind: (statistics.median(t for t, _ in runs[kind]),
                   statistics.median(r for _, r in runs[kind]))
            for kind in runs
        }  # fmt: skip
        print("| container (test guest, TCG) | seconds |")
        print("|---|---|")
        for kind, label in (("cold", "cold image"), ("snapshot", "`--snapshot` image")):
            count = len(runs[kind])
            print(f"| start to healthy, {label} (median of {count}) | {medians[kind][0]:.1f} |")
            print(f"| of it, QEMU start to router ready ({label}) | {medians[kind][1]:.1f} |")
        print(f"| ratio snapshot / cold | {medians['snapshot'][0] / medians['cold'][0]:.2f} |")
        for key, value in costs.items():
            print(f"| fixed cost: {key} | {value:.2f} |")
        if not args.skip_lab:
            print(f"| 4-router ring lab from `lab export --compose`, up to all healthy |"
                  f" {lab(work):.1f} |")  # fmt: skip
        print()
        rounded = {kind: [(round(t, 1), r) for t, r in runs[kind]] for kind in runs}
        print(f"all rounds (to healthy, QEMU to ready): {rounded}")
        print()
        print("| image size | MiB |")
        print("|---|---|")
        for key in ("image", "snapshot image"):
            print(f"| {key} | {found[key] / 2**20:.0f} |")
            print(f"| {key}, over the base | {(found[key] - found['base']) / 2**20:.0f} |")
        for key, value in found.items():
            if key not in ("image", "snapshot image", "base"):
                print(f"| {key} | {value / 2**20:.0f} |")


if __name__ == "__main__":
    main()
