"""Podman for the tests: its settings, a local Debian base image, a wheelhouse, image builds.

No registry is reachable from the machines the tests run on, so the base image is made here
with debootstrap (QEMU, iproute2 and python3 in it, so the build needs no apt) and kept in
podman's storage under a tag keyed by its package list and the month; mikrodock goes into the
image from a wheelhouse (the worktree's wheel and its dependencies' wheels), so the build needs
no package index either.

Podman's settings (runc, cgroupfs, ulimits it may set here) go into a file the session writes
and names in ``CONTAINERS_CONF``; the system's configuration is never touched.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

CONTAINERS_CONF = """\
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
"""

BASE_PACKAGES = ("python3", "python3-venv", "qemu-system-x86", "qemu-utils", "iproute2")
SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
REPO = Path(__file__).resolve().parents[2]


def podman(
    *args: str, check: bool = True, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["podman", *args], capture_output=True, text=True, check=False, timeout=timeout
    )
    if check and done.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} failed: {done.stderr.strip()}")
    return done


def why_no_podman() -> str:
    """Empty when podman can run containers here, else why not."""
    if shutil.which("podman") is None:
        return "podman is not installed (apt-get install podman, see scripts/apt-packages.txt)"
    done = podman("info", "--format", "json", check=False, timeout=120)
    if done.returncode != 0:
        return f"podman cannot run here: {done.stderr.strip().splitlines()[-1:]}"
    return ""


def base_tag() -> str:
    month = datetime.date.today().strftime("%Y%m")
    key = hashlib.sha256(f"{SUITE} {MIRROR} {' '.join(BASE_PACKAGES)} {month}".encode())
    return f"localhost/mikrodock-test-base:{key.hexdigest()[:12]}"


def ensure_base(work: Path) -> str:
    """The base image's tag, made with debootstrap when podman does not have it yet."""
    tag = base_tag()
    if podman("image", "exists", tag, check=False).returncode == 0:
        return tag
    if shutil.which("debootstrap") is None:
        raise RuntimeError("debootstrap is not installed (apt-get install debootstrap)")
    root = work / "rootfs"
    shutil.rmtree(root, ignore_errors=True)
    subprocess.run(
        ["debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}", SUITE,
         str(root), MIRROR],
        check=True, capture_output=True, timeout=1200,
    )  # fmt: skip
    tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
    subprocess.run(
        ["podman", "import", "-", tag], stdin=tar.stdout, check=True, capture_output=True
    )
    tar.wait()
    shutil.rmtree(root, ignore_errors=True)
    return tag


def _requirements() -> list[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return [str(item) for item in project["dependencies"]]


def wheelhouse(cache: Path, out: Path) -> Path:
    """``out`` filled with this tree's mikrodock wheel and its dependencies' wheels (those
    downloaded once per requirement list and month, kept in ``cache``)."""
    month = datetime.date.today().strftime("%Y%m")
    key = hashlib.sha256(json.dumps([_requirements(), month]).encode()).hexdigest()[:12]
    deps = cache / f"wheels-{key}"
    if not deps.is_dir():
        partial = cache / f"wheels-{key}.part"
        shutil.rmtree(partial, ignore_errors=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:",
             "--python-version", "3.11", "-d", str(partial), *_requirements()],
            check=True, capture_output=True, timeout=600,
        )  # fmt: skip
        partial.rename(deps)
    out.mkdir(parents=True, exist_ok=True)
    for wheel in deps.glob("*.whl"):
        shutil.copy(wheel, out / wheel.name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
         "-w", str(out), str(REPO)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    return out


def build(context: Path, tag: str, extra: Sequence[str] = ()) -> None:
    """Build ``context`` as ``tag``; the image the tag named before is removed (each session
    builds anew, and untagged images would pile up in podman's storage)."""
    before = podman("image", "inspect", "-f", "{{.Id}}", tag, check=False).stdout.strip()
    podman("build", "--format", "docker", "--network", "none", "-t", tag, *extra, str(context),
           timeout=1800)  # fmt: skip
    after = podman("image", "inspect", "-f", "{{.Id}}", tag, check=False).stdout.strip()
    if before and before != after:
        podman("rmi", before, check=False)  # refused while a container still uses it


PASSWORD = "s3cret-pw"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Containers:
    """Runs containers and removes them (and their volumes and networks) afterwards."""

    def __init__(self, image: str) -> None:
        self.image = image
        self.made: list[str] = []
        self.volumes: list[str] = []
        self.networks: list[str] = []

    def name(self, stem: str) -> str:
        return f"mdtest-{stem}-{uuid.uuid4().hex[:6]}"

    def run(
        self, stem: str, *flags: str, args: tuple[str, ...] = (), password: str = PASSWORD
    ) -> tuple[str, int]:
        """Start a container with REST published on a free port; returns (name, port)."""
        name = self.name(stem)
        port = free_port()
        podman(
            "run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:80",
            "-e", f"MIKRODOCK_ADMIN_PASSWORD={password}", "-e", "MIKRODOCK_ACCEL=tcg",
            *flags, self.image, *args,
        )  # fmt: skip
        self.made.append(name)
        return name, port

    def volume(self) -> str:
        name = self.name("vol")
        podman("volume", "create", name)
        self.volumes.append(name)
        return name

    def network(self, subnet: str) -> str:
        name = self.name("net")
        podman("network", "create", "--subnet", subnet, name)
        self.networks.append(name)
        return name

    def linked_pair(
        self, stems: tuple[str, str], subnet: str, addresses: tuple[str, str]
    ) -> tuple[tuple[str, int], tuple[str, int]]:
        """Two routers whose ether2 share a network of ``subnet`` (told to them as the link's
        subnet: podman may give a container's two networks to eth0 and eth1 in either order),
        healthy, with ``addresses`` on their ether2; returns (name, REST port) of each."""
        network = self.network(subnet)
        flags = ("--network", "podman", "--network", network,
                 "-e", f"MIKRODOCK_DATA_LINKS=ether2={subnet}",
                 "--cap-add", "NET_ADMIN", "--device", "/dev/net/tun")  # fmt: skip
        pair = (self.run(stems[0], *flags), self.run(stems[1], *flags))
        for name, _ in pair:
            wait_healthy(name)
        for (_, port), address in zip(pair, addresses, strict=True):
            rest(port, "ip/address", method="PUT", body={"address": address, "interface": "ether2"})
        return pair

    def cleanup(self) -> None:
        for name in self.made:
            podman("rm", "-f", "-t", "0", name, check=False)
        for name in self.volumes:
            podman("volume", "rm", "-f", name, check=False)
        for name in self.networks:
            podman("network", "rm", "-f", name, check=False)


def wait_healthy(name: str, timeout: float = 240) -> None:
    """Until the image's HEALTHCHECK passes (podman runs it on request: no systemd here)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = podman("inspect", "-f", "{{.State.Status}}", name).stdout.strip()
        if state != "running":
            logs = podman("logs", name, check=False)
            raise AssertionError(f"{name} is {state}:\n{logs.stdout[-3000:]}{logs.stderr[-3000:]}")
        if podman("healthcheck", "run", name, check=False).returncode == 0:
            return
        time.sleep(1)
    logs = podman("logs", name, check=False)
    raise AssertionError(f"{name} not healthy:\n{logs.stdout[-3000:]}{logs.stderr[-3000:]}")


def rest_answer(
    port: int | str, path: str, *, method: str = "GET", body: Any = None, password: str = PASSWORD
) -> httpx.Response:
    """A REST call on a published port (int) or on a container address (str, port 80)."""
    where = f"127.0.0.1:{port}" if isinstance(port, int) else port
    url = f"http://{where}/rest/{path}"
    auth = ("admin", password)
    with httpx.Client(auth=auth, timeout=30, trust_env=False) as client:  # no proxy for 127.0.0.1
        return client.request(method, url, json=body)


def rest(
    port: int | str, path: str, *, method: str = "GET", body: Any = None, password: str = PASSWORD
) -> Any:
    """The JSON of a REST call that must succeed."""
    answer = rest_answer(port, path, method=method, body=body, password=password)
    assert answer.status_code == 200, answer.text
    return answer.json()


def logs_of(name: str) -> str:
    done = podman("logs", name, check=False)
    return done.stdout + done.stderr
