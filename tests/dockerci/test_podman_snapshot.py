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
ONE_LINK = ("-e", "CLAB_INTFS=1", "--cap-add", "NET_ADMIN", "--device", "/dev/net/tun")
"""a containerlab node with one data interface, as the snapshot was made"""


@pytest.fixture
def snap(chr_snapshot_image_tag: str) -> Iterator[Containers]:
    made = Containers(chr_snapshot_image_tag)
    try:
        yield made
    finally:
        made.cleanup()


def _inside(name: str, path: str) -> Any:
    return json.loads(podman("exec", name, "cat", path).stdout)


def _macs(port: int, password: str) -> dict[str, str]:
    nics = rest(port, "interface", password=password)
    return {nic["name"]: str(nic["mac-address"]).lower() for nic in nics}


def test_a_container_resumes_the_snapshot_as_its_own_router_and_powers_down_on_stop(
    snap: Containers,
) -> None:
    first, port_a = snap.run(
        "snap-a", *ONE_LINK, password="first-pw", args=("--hostname", "snap-a")
    )
    second, port_b = snap.run(
        "snap-b", *ONE_LINK, password="second-pw", args=("--hostname", "snap-b")
    )
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
    # every NIC has its machine's own MAC address, not the one the snapshot was taken with
    baked = _inside(first, f"{SNAPSHOT}/snapshot.json")["mac"].lower()
    macs_a, macs_b = _macs(port_a, "first-pw"), _macs(port_b, "second-pw")
    assert sorted(macs_a) == ["ether1", "ether2"]  # the data NIC, wired to eth1
    record = _inside(first, f"{MACHINE}/machine.json")
    assert macs_a["ether1"] == record["mac"].lower()
    assert macs_a["ether2"] == record["links"][0]["mac"].lower()
    assert len({baked, macs_a["ether1"], macs_b["ether1"]}) == 3, (baked, macs_a, macs_b)
    assert macs_a["ether2"] != macs_b["ether2"]
    log = logs_of(first)
    assert "first-pw" not in log
    podman("stop", "-t", "40", first)
    assert podman("inspect", "-f", "{{.State.ExitCode}}", first).stdout.strip() == "0"
    log = logs_of(first)
    assert "powering router down (ACPI" in log and "router stopped" in log


def test_a_container_that_does_not_fit_the_snapshot_boots_cold_and_says_why(
    snap: Containers,
) -> None:
    name, port = snap.run("snap-mem", *ONE_LINK, "-e", "CHR_MEMORY=320M")
    wait_healthy(name)
    log = logs_of(name)
    assert "snapshot is not used (this container asks for memory (MiB) 320" in log, log
    assert "booting cold" in log and RESUMED not in log
    assert rest(port, "system/resource")["board-name"].startswith("CHR")
    # a node with another number of links than the snapshot's
    name, port = snap.run("snap-nics")
    wait_healthy(name)
    log = logs_of(name)
    assert "snapshot is not used (this container asks for data interfaces 0" in log, log
    assert "booting cold" in log and RESUMED not in log
    assert rest(port, "system/resource")["board-name"].startswith("CHR")


def test_a_snapshot_that_cannot_be_restored_falls_back_to_a_cold_boot(
    snap: Containers, tmp_path: Path
) -> None:
    broken = tmp_path / "state"
    broken.write_bytes(b"QEVM" + bytes(4096))  # a migration stream that ends at once
    name, port = snap.run("snap-bad", *ONE_LINK, "-v", f"{broken}:{SNAPSHOT}/state:ro")
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


def test_two_resumed_routers_pass_traffic_between_their_ether2(snap: Containers) -> None:
    # the restored data NIC, on a TAP joined to the container's interface on a shared network
    (a, port_a), (b, _) = snap.linked_pair(
        ("link-a", "link-b"), "10.254.9.0/29", ("10.9.1.1/24", "10.9.1.2/24")
    )
    assert RESUMED in logs_of(a) and RESUMED in logs_of(b)
    answer = rest(port_a, "ping", method="POST", body={"address": "10.9.1.2", "count": "3"})
    assert int(answer[-1]["received"]) > 0, answer
