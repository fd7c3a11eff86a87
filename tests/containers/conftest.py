"""Helpers for container tests against the simulator: a full spec, seeds, snapshots."""

from __future__ import annotations

import sys
from typing import Any

import httpx
import pytest

from mikrodock.containers import flags
from mikrodock.containers.spec import ContainerSpec, EnvVar, HealthCheck, HostEntry
from mikrodock.routeros.dialect import Dialect
from mikrodock.testing.sim_fixtures import DEPLOY_MENUS

SIM_VERSIONS = ["7.15", "7.19", "7.20", "7.21", "7.22", "7.23", "7.24"]
TRANSPORTS = ["rest", "api"]
"""How mikrodock reaches the router: REST (``http://``) or the API protocol (``api://``)."""


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    """A test that asks for ``transport`` runs over each (the container layer must not care)."""
    return str(request.param)


def router_url(sim: Any, transport: str) -> str:
    """The simulator's URL for ``transport``."""
    return str(sim.url if transport == "rest" else sim.api_url)


def full_run_spec(
    version: str, name: str = "web", image: str = "ghcr.io/acme/web:1"
) -> ContainerSpec:
    """``run -p -e -v --restart --memory`` with what ``version`` can honour."""
    dialect = Dialect.for_version(version)
    restart = "no"
    if dialect.restart_policy:
        restart = "on-failure:3"
    elif dialect.has_arg("container", "add", "auto-restart-interval"):
        restart = "always"
    return ContainerSpec(
        name=name,
        image=image,
        cmd=("echo", "hello"),
        ports=(flags.parse_port("8080:80"), flags.parse_port("5353:53/udp")),
        env=(EnvVar("A", "1"), EnvVar("LIST", "a,b")),
        mounts=(flags.parse_volume("disk1/data:/data"), flags.parse_volume("disk1/conf:/conf")),
        restart=flags.parse_restart(restart),
        memory=(256 << 20) if dialect.memory_arg else None,
    )


def all_flags_spec(version: str, *, inline: bool) -> ContainerSpec:
    """A spec with every flag ``version`` can honour."""
    d = Dialect.for_version(version)
    has = lambda arg: d.has_arg("container", "add", arg)  # noqa: E731
    env = (EnvVar("A", "1"), EnvVar("B", "two words"))
    if not inline:
        env += (EnvVar("C", "x,y"),)  # a comma forces a named list
    mounts = (flags.parse_volume("disk1/data:/data"),)
    if not inline:
        mounts += (
            flags.parse_volume("disk1/conf:/etc/app" + (":ro" if d.mount_read_only_arg else "")),
        )
    restart = "no"
    if d.restart_policy:
        restart = "on-failure:3"
    elif has("auto-restart-interval"):
        restart = "always"
    health = (
        HealthCheck(("curl", "-f", "http://localhost/"), 30, 5, 3, 10)
        if d.healthcheck
        else HealthCheck()
    )
    return ContainerSpec(
        name="web",
        image="ghcr.io/owner/app:1.2",
        entrypoint=("/docker-entrypoint.sh",),
        cmd=("nginx", "-g", "daemon-off"),
        env=env,
        mounts=mounts,
        ports=(
            flags.parse_port("8080:80"),
            flags.parse_port("10.0.0.1:53:53/udp"),
            flags.parse_port("7000-7001:8000-8001"),
        ),
        workdir="/srv",
        user="www",
        hostname="web",
        dns=("1.1.1.1",),
        hosts=(HostEntry("db", "10.0.0.5"),) if has("hosts") else (),
        restart=flags.parse_restart(restart),
        memory=256 << 20 if d.memory_arg else None,
        memory_swap=512 << 20 if has("swap-max") else None,
        cpuset="0-1" if has("cpu-list") else None,
        health=health,
        stop_signal="SIGTERM",
        stop_timeout=20 if has("stop-time") else None,
        shm_size=64 << 20 if has("shm-size") else None,
        tmpfs=("/run",) if has("tmpfs") else (),
        devices=("/dev/ttyUSB0",) if has("devices") else (),
        privileged=has("privileged"),
        registry_username="me",
        registry_password="secret",
    )


def rest(sim: Any) -> httpx.Client:
    return httpx.Client(base_url=f"{sim.url}/rest", auth=(sim.user, sim.password), timeout=10)


def seed_hand_made(sim: Any, version: str) -> None:
    """Objects a user made by hand, with names and comments close to mikrodock's."""
    dialect = Dialect.for_version(version)
    with rest(sim) as client:
        for menu, body in (
            ("interface/bridge", {"name": "mikrodock-lab", "comment": "mikrodock lab"}),
            (
                "interface/veth",
                {
                    "name": "veth-web2",
                    "address": "172.17.0.9/24",
                    "gateway": "172.17.0.1",
                    "comment": "mikrodock:web2 by hand",
                },
            ),
            ("ip/address", {"address": "192.168.88.1/24", "interface": "mikrodock-lab"}),
            (
                "ip/firewall/nat",
                {
                    "chain": "dstnat",
                    "action": "dst-nat",
                    "protocol": "tcp",
                    "dst-port": "9999",
                    "to-addresses": "172.17.0.9",
                    "to-ports": "80",
                    "comment": "mikrodock:web-2 lab",
                },
            ),
            (
                "ip/firewall/nat",
                {
                    "chain": "srcnat",
                    "action": "masquerade",
                    "comment": "mikrodock:net:lab (manual)",
                },
            ),
            (
                "ip/firewall/filter",
                {"chain": "forward", "action": "drop", "comment": "drop the rest"},
            ),
            (
                "container/envs",
                {
                    dialect.envs_group_key: "web-env",
                    "key": "MINE",
                    "value": "1",
                    "comment": "mikrodock: web",
                },
            ),
        ):
            answer = client.put(f"/{menu}", json=body)
            assert answer.status_code in (200, 201), (menu, answer.text)


def snapshot(sim: Any) -> dict[str, list[dict[str, str]]]:
    """Every object of the menus a deploy touches, as the simulator holds them."""
    return {menu: [dict(item) for item in sim.items(menu)] for menu in DEPLOY_MENUS}


@pytest.fixture
def kit() -> Any:
    """This module: the helpers above, for tests (importlib mode cannot import conftest)."""
    return sys.modules[__name__]
