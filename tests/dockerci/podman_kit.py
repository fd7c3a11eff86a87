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
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

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
    podman("build", "--format", "docker", "--network", "none", "-t", tag, *extra, str(context),
           timeout=1800)  # fmt: skip
