"""The image of `mikrodock chr dockerfile --snapshot` under a real container engine (podman).

The build boots the test guest once and bakes its memory snapshot into the image (built once
per session, see ``chr_snapshot_image_tag``); a container's first start resumes it as a router
of its own (password, identity, MAC addresses), or boots cold and says why when the snapshot
does not fit.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .podman_kit import Containers, logs_of, podman, rest, rest_answer, wait_healthy

pytestmark = [pytest.mark.slow, pytest.mark.podman]

SNAPSHOT = "/var/lib/mikrodock/snapshot"
MACHINE = "/var/lib/mikrodock/state/machines/router"
RESUMED = "resumed from the image's snapshot"


@pytest.fixture
def snap(chr_snapshot_image_tag: str) -> Iterator[Containers]:
    made = Containers(chr_snapshot_image_tag)
    try:
        yield made
    finally:
        made.cleanup()


def _inside(name: str, path: str) -> Any:
    return json.loads(podman("exec", name, "cat", path).stdout)


def _ether1_mac(port: int, password: str) -> str:
    nics = rest(port, "interface", password=password)
    return str(next(nic["mac-address"] for nic in nics if nic["name"] == "ether1")).lower()


def test_a_container_resumes_the_snapshot_as_its_own_router_and_powers_down_on_stop(
    snap: Containers,
) -> None:
    first, port_a = snap.run("snap-a", password="first-pw", args=("--hostname", "snap-a"))
    second, port_b = snap.run("snap-b", password="second-pw", args=("--hostname", "snap-b"))
    wait_healthy(first)
    wait_healthy(second)
    for name in (first, second):
        assert RESUMED in logs_of(name), logs_of(name)
    # each router has the password and identity its container was given, not the build's
    assert rest(port_a, "system/identity", password="first-pw")["name"] == "snap-a"
    assert rest(port_b, "system/identity", password="second-pw")["name"] == "snap-b"
    assert rest_answer(port_a, "system/identity", password="").status_code == 401
    assert rest_answer(port_a, "system/identity", password="second-pw").status_code == 401
    resource = rest(port_a, "system/resource", password="first-pw")
    assert resource["board-name"].startswith("CHR")
    # ether1 has its machine's own MAC address, not the one the snapshot was taken with
    baked = _inside(first, f"{SNAPSHOT}/snapshot.json")["mac"]
    mac_a, mac_b = _ether1_mac(port_a, "first-pw"), _ether1_mac(port_b, "second-pw")
    assert mac_a == _inside(first, f"{MACHINE}/machine.json")["mac"].lower()
    assert len({baked.lower(), mac_a, mac_b}) == 3, (baked, mac_a, mac_b)
    log = logs_of(first)
    assert "first-pw" not in log
    podman("stop", "-t", "40", first)
    assert podman("inspect", "-f", "{{.State.ExitCode}}", first).stdout.strip() == "0"
    log = logs_of(first)
    assert "powering router down (ACPI" in log and "router stopped" in log


def test_a_container_that_does_not_fit_the_snapshot_boots_cold_and_says_why(
    snap: Containers,
) -> None:
    name, port = snap.run("snap-mem", "-e", "CHR_MEMORY=320M")
    wait_healthy(name)
    log = logs_of(name)
    assert "snapshot is not used (this container asks for memory (MiB) 320" in log, log
    assert "booting cold" in log and RESUMED not in log
    assert rest(port, "system/resource")["board-name"].startswith("CHR")


def test_a_snapshot_that_cannot_be_restored_falls_back_to_a_cold_boot(
    snap: Containers, tmp_path: Path
) -> None:
    broken = tmp_path / "state"
    broken.write_bytes(b"QEVM" + bytes(4096))  # a migration stream that ends at once
    name, port = snap.run("snap-bad", "-v", f"{broken}:{SNAPSHOT}/state:ro")
    wait_healthy(name)
    log = logs_of(name)
    assert "the image's snapshot could not be restored" in log and "booting cold" in log, log
    assert rest(port, "system/resource")["board-name"].startswith("CHR")


def test_the_snapshot_image_looks_like_the_cold_one_from_outside(
    chr_image_tag: str, chr_snapshot_image_tag: str
) -> None:
    def config(tag: str) -> dict[str, Any]:
        found = json.loads(podman("image", "inspect", tag).stdout)[0]
        keys = ("ExposedPorts", "Entrypoint", "Cmd", "Volumes", "StopSignal", "User")
        return {"Healthcheck": found["Healthcheck"]} | {k: found["Config"].get(k) for k in keys}

    cold = config(chr_image_tag)
    assert cold["Healthcheck"]["Test"] == ["CMD", "mikrodock", "chr", "health"]
    assert config(chr_snapshot_image_tag) == cold
