"""Every planned path and argument exists on the version it was planned for.

For every captured version in ``../shared/routeros-schema`` the planner gets a spec that uses
every flag that version supports; each step's menu, command and body keys are looked up in the
version's real command tree (the container subtree, or the whole tree for menus outside it).
"""

from __future__ import annotations

import dataclasses
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from mikrodock.containers import flags
from mikrodock.containers.plan import plan_run
from mikrodock.containers.spec import HealthCheck
from mikrodock.containers.state import RouterState
from mikrodock.containers.steps import Step
from mikrodock.errors import UnsupportedError
from mikrodock.routeros.dialect import Dialect
from mikrodock.routeros.facts import Disk

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO.parent / "shared" / "routeros-schema"
VERSIONS = (
    sorted(p.stem for p in (SCHEMA / "subtrees" / "inspect").glob("*.json"))
    if (SCHEMA.is_dir())
    else []
)

pytestmark = pytest.mark.skipif(
    not VERSIONS, reason=f"no RouterOS schema folder at {SCHEMA} (the shared reference data)"
)


@cache
def _tree(kind: str, version: str) -> dict[str, Any] | None:
    path = (
        SCHEMA / "subtrees" / "inspect" / f"{version}.json"
        if kind == "subtree"
        else SCHEMA / "whole" / version / "inspect.extra.json"
    )
    return json.loads(path.read_text()) if path.exists() else None


def _node(tree: dict[str, Any], menu: str) -> dict[str, Any] | None:
    node: Any = tree
    for part in menu.split("/"):
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None
    return node


def _lookup(version: str, menu: str) -> dict[str, Any] | None:
    """The menu's node: from the subtree when it was extracted there, else the whole tree."""
    for kind in ("subtree", "whole"):
        tree = _tree(kind, version)
        if tree is None:
            continue
        node = _node(tree, menu)
        if node is not None and len([k for k in node if not k.startswith("_")]) > 0:
            return node
    return None


def _state(version: str) -> RouterState:
    return RouterState.empty(version, "x86_64").with_objects(
        disks=(Disk("disk1", 8 << 30, 6 << 30, "nvme"),),
        addresses=({".id": "*1", "address": "192.168.88.1/24", "interface": "ether1"},),
        filter=({".id": "*A", "chain": "forward", "action": "drop"},),
    )


def _check(version: str, step: Step, skipped: set[str]) -> None:
    node = _lookup(version, step.menu)
    if node is None:
        if Dialect.for_version(version).has_menu(step.menu):
            skipped.add(step.menu)  # outside the extracted subtrees and no whole tree here
            return
        pytest.fail(f"{version}: /{step.menu} does not exist")
    verb = "print" if step.action == "wait" else step.verb
    command = node.get(verb)
    assert isinstance(command, dict) and command.get("_type") == "cmd", (
        f"{version}: /{step.menu} has no command {verb}"
    )
    if step.action == "wait":
        return
    unknown = [key for key in step.body if key not in command]
    assert not unknown, f"{version}: /{step.menu} {verb} has no argument(s) {unknown}"


@pytest.mark.parametrize("inline", [True, False], ids=["inline", "lists"])
@pytest.mark.parametrize("version", VERSIONS)
def test_every_planned_path_and_argument_exists(version: str, inline: bool, kit: Any) -> None:
    plan = plan_run(kit.all_flags_spec(version, inline=inline), _state(version))
    skipped: set[str] = set()
    for step in plan.steps:
        _check(version, step, skipped)
    menus = {step.menu for step in plan.steps}
    assert {"container", "interface/veth", "ip/firewall/nat", "container/config"} <= menus
    assert skipped <= {"system/logging", "ip/firewall/filter"}


@pytest.mark.parametrize("version", VERSIONS)
def test_flags_the_version_lacks_fail_naming_the_version(version: str, kit: Any) -> None:
    """Each flag the version cannot honour fails before any change, naming where it arrives."""
    dialect = Dialect.for_version(version)
    base = kit.all_flags_spec(version, inline=True)
    extra = {
        "memory-high": {"memory": 1 << 28},
        "cpu-list": {"cpuset": "0"},
        "healthcheck-cmd": {"health": HealthCheck(("true",))},
        "privileged": {"privileged": True},
        "stop-time": {"stop_timeout": 5.0},
        "devices": {"devices": ("/dev/x",)},
        "swap-max": {"memory_swap": -1},
        "restart-policy": {"restart": flags.parse_restart("on-failure:2")},
    }
    for arg, change in extra.items():
        if dialect.has_arg("container", "add", arg):
            continue
        with pytest.raises(UnsupportedError) as caught:
            plan_run(dataclasses.replace(base, **change), _state(version))
        arrival = dialect.arrival("container", "add", arg)
        assert arrival is not None and str(arrival) in str(caught.value)
