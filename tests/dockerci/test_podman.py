"""The image of `mikrodock chr dockerfile` under a real container engine (podman).

The image wraps the test guest and is built once per session (see ``chr_image_tag``); each test
runs containers from it the way docker, compose and containerlab do, and removes them.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .podman_kit import PASSWORD, Containers, free_port, logs_of, podman, rest, wait_healthy

pytestmark = [pytest.mark.slow, pytest.mark.podman]


@pytest.fixture
def containers(chr_image_tag: str) -> Iterator[Containers]:
    made = Containers(chr_image_tag)
    try:
        yield made
    finally:
        made.cleanup()


def test_healthy_answers_on_a_published_port_and_powers_down_on_stop(
    containers: Containers,
) -> None:
    name, port = containers.run("basic")
    wait_healthy(name)
    resource = rest(port, "system/resource")
    assert resource["board-name"].startswith("CHR")
    podman("stop", "-t", "40", name)
    assert podman("inspect", "-f", "{{.State.ExitCode}}", name).stdout.strip() == "0"
    log = logs_of(name)
    # SIGTERM became an ACPI power-down that finished, not a kill
    assert "powering router down (ACPI" in log and "router stopped" in log


def test_the_volume_keeps_the_router_across_containers(containers: Containers) -> None:
    volume = containers.volume()
    mount = f"{volume}:/var/lib/mikrodock/state"
    first, port = containers.run("vol1", "-v", mount)
    wait_healthy(first)
    rest(port, "system/identity/set", method="POST", body={"name": "kept-router"})
    podman("stop", "-t", "40", first)
    podman("rm", first)
    second, port = containers.run("vol2", "-v", mount)
    wait_healthy(second)
    assert rest(port, "system/identity")["name"] == "kept-router"
    assert "reusing router's disk" in logs_of(second)


def test_containerlab_contract_argv_env_and_startup_config(
    containers: Containers, tmp_path: Path
) -> None:
    ftpboot = tmp_path / "ftpboot"
    ftpboot.mkdir()
    (ftpboot / "config.auto.rsc").write_text(
        "# applied once on the first boot\n/ip address add address=10.77.0.1/24 interface=ether2\n"
    )
    name, port = containers.run(
        "clab", "-v", f"{ftpboot}:/ftpboot:ro", "-e", "CLAB_INTFS=1",
        "--cap-add", "NET_ADMIN", "--device", "/dev/net/tun",
        args=("--username", "admin", "--password", "ignored-when-env-given",
              "--hostname", "edge1", "--connection-mode", "tc"),
    )  # fmt: skip
    wait_healthy(name)
    assert rest(port, "system/identity")["name"] == "edge1"
    interfaces = [item["name"] for item in rest(port, "interface")]
    assert interfaces == ["ether1", "ether2"]  # one data NIC, as CLAB_INTFS says
    log = logs_of(name)
    assert "startup script /ftpboot/config.auto.rsc ran" in log
    assert PASSWORD not in log


def test_an_unknown_connection_mode_is_refused(containers: Containers) -> None:
    name, _ = containers.run("badmode", args=("--connection-mode", "ovs-bridge"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if podman("inspect", "-f", "{{.State.Status}}", name).stdout.strip() == "exited":
            break
        time.sleep(0.5)
    assert podman("inspect", "-f", "{{.State.ExitCode}}", name).stdout.strip() == "2"
    assert "connection mode 'ovs-bridge' is not supported" in logs_of(name)


def test_two_routers_on_a_shared_network_pass_traffic_between_their_ether2(
    containers: Containers,
) -> None:
    # the containers are told the link's subnet (as compose labs are) rather than
    # containerlab's ethN rule: podman may give their two networks to eth0 and eth1 either way
    (a, port_a), _ = containers.linked_pair(
        ("ra", "rb"), "10.254.7.0/29", ("10.9.0.1/24", "10.9.0.2/24")
    )
    assert "joined to ether2" in logs_of(a)
    answer = rest(port_a, "ping", method="POST", body={"address": "10.9.0.2", "count": "3"})
    assert int(answer[-1]["received"]) > 0, answer


COMPOSE = (sys.executable, "-m", "podman_compose")
LINKED_LAB = """\
name: pair
defaults:
  version: 7.22.3
routers:
  r1:
  r2:
links:
  - r1:ether2=r2:ether2
"""


@pytest.fixture
def compose_project(chr_image_tag: str, tmp_path: Path) -> Iterator[Path]:
    """`lab export --compose` of a two-router lab with a link, its image the session's build
    (tagged as the export names it) and its REST ports moved to free ones."""
    import importlib.util

    from ruamel.yaml import YAML

    from mikrodock.lab.export import write_compose
    from mikrodock.lab.labfile import load_lab

    if importlib.util.find_spec("podman_compose") is None:
        pytest.skip("podman-compose is not installed (pip install podman-compose)")
    (tmp_path / "pair.yaml").write_text(LINKED_LAB)
    out = tmp_path / "lab" / "docker-compose.yml"
    write_compose(load_lab(tmp_path / "pair.yaml"), lambda ref: ref, out)
    yaml = YAML(typ="safe")
    doc = yaml.load(out.read_text())
    for service in doc["services"].values():
        service["ports"] = [f"127.0.0.1:{free_port()}:80"]
        service["environment"]["MIKRODOCK_ADMIN_PASSWORD"] = PASSWORD
        service.pop("build")
    with out.open("w") as handle:
        yaml.dump(doc, handle)
    podman("tag", chr_image_tag, "localhost/mikrodock-chr:7.22.3")
    try:
        yield out
    finally:
        subprocess.run(
            [*COMPOSE, "-f", str(out), "down", "-v", "-t", "0"],
            capture_output=True, check=False, timeout=300,
        )  # fmt: skip
        podman("rmi", "localhost/mikrodock-chr:7.22.3", check=False)


def test_compose_export_runs_a_lab_with_its_link_under_podman_compose(
    compose_project: Path,
) -> None:
    from ruamel.yaml import YAML

    up = subprocess.run(
        [*COMPOSE, "-f", str(compose_project), "up", "-d"],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert up.returncode == 0, up.stderr[-3000:]
    doc = YAML(typ="safe").load(compose_project.read_text())
    names = {}
    for router in ("r1", "r2"):
        found = podman(
            "ps", "-a", "--filter", f"label=com.docker.compose.service={router}",
            "--format", "{{.Names}}",
        ).stdout.split()  # fmt: skip
        assert len(found) == 1, found
        names[router] = found[0]
        wait_healthy(found[0])
    ports = {r: int(doc["services"][r]["ports"][0].split(":")[1]) for r in ("r1", "r2")}
    for router, address in (("r1", "10.9.0.1/24"), ("r2", "10.9.0.2/24")):
        body = {"address": address, "interface": "ether2"}
        rest(ports[router], "ip/address", method="PUT", body=body)
    assert "joined to ether2" in logs_of(names["r1"])
    answer = rest(ports["r1"], "ping", method="POST", body={"address": "10.9.0.2", "count": "3"})
    assert int(answer[-1]["received"]) > 0, answer
