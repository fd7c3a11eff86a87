"""Helpers for container tests against the simulator: a full spec, seeds, snapshots."""

from __future__ import annotations

import sys
from typing import Any

import httpx
import pytest

from mikrodock.containers import flags
from mikrodock.containers.spec import ContainerSpec, EnvVar
from mikrodock.routeros.dialect import Dialect

SIM_VERSIONS = ["7.15", "7.19", "7.20", "7.21", "7.22", "7.23", "7.24"]

SNAPSHOT_MENUS = (
    "container",
    "container/envs",
    "container/mounts",
    "container/config",
    "interface/veth",
    "interface/bridge",
    "interface/bridge/port",
    "ip/address",
    "ip/firewall/nat",
    "ip/firewall/filter",
    "system/logging",
)


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
    return {menu: [dict(item) for item in sim.items(menu)] for menu in SNAPSHOT_MENUS}


@pytest.fixture
def kit() -> Any:
    """This module: the helpers above, for tests (importlib mode cannot import conftest)."""
    return sys.modules[__name__]
