"""The agreement test: the dialect table says exactly what the real command trees say.

Walks every version file of ``../shared/routeros-schema`` (``subtrees/inspect/<ver>.json`` and
``whole/<ver>/inspect.extra.json``) and checks, for every modeled menu and command, that
``Dialect.for_version(ver)`` has the same menus, commands and argument names as the tree.
The trees are read here with their own small walker, not with the generator's code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from mikrodock.routeros.dialect import Dialect, captured_versions, modeled_menus
from mikrodock.routeros.version import parse_version

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO.parent / "shared" / "routeros-schema"
SUBTREES = SCHEMA / "subtrees" / "inspect"
WHOLE = SCHEMA / "whole"

pytestmark = pytest.mark.skipif(
    not SUBTREES.is_dir(),
    reason=f"the RouterOS command trees are not here ({SCHEMA} is absent)",
)

# What the project models: these menus with all their submenus ...
RECURSIVE = ("container", "app")
# ... these menus on their own ...
SINGLE = (
    "interface/veth",
    "interface/bridge",
    "interface/bridge/port",
    "ip/address",
    "ip/firewall/nat",
    "ip/firewall/filter",
    "system/resource",
    "system/package",
    "system/device-mode",
    "system/logging",
    "system/logging/action",
    "log",
    "file",
    "tool",
)
# ... and in these menus only some commands.
ONLY = {"tool": {"fetch"}}
# Menus that the per-version subtrees lack: the whole trees carry them.
WHOLE_ONLY = {"ip/firewall/filter", "system/logging", "system/logging/action", "file", "tool"}


def _files(folder: Path, pattern: str) -> list[Path]:
    return sorted(folder.glob(pattern)) if folder.is_dir() else []


SUBTREE_FILES = _files(SUBTREES, "*.json")
WHOLE_FILES = _files(WHOLE, "*/inspect.extra.json")


@cache
def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _menus(tree: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, node) of every modeled menu present in ``tree``."""

    def at(path: str) -> dict[str, Any] | None:
        node: Any = tree
        for part in path.split("/"):
            node = node.get(part) if isinstance(node, dict) else None
        ok = isinstance(node, dict) and node.get("_type") in ("dir", "path")
        return node if ok else None

    def below(path: str, node: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
        yield path, node
        for key, child in node.items():
            if isinstance(child, dict) and child.get("_type") in ("dir", "path"):
                yield from below(f"{path}/{key}", child)

    for root in RECURSIVE:
        node = at(root)
        if node is not None:
            yield from below(root, node)
    for menu in SINGLE:
        node = at(menu)
        if node is not None:
            yield menu, node


def _commands(menu: str, node: dict[str, Any]) -> dict[str, frozenset[str]]:
    out = {}
    for key, child in node.items():
        if isinstance(child, dict) and child.get("_type") == "cmd":
            if menu in ONLY and key not in ONLY[menu]:
                continue
            out[key] = frozenset(k for k in child if k != "_type")
    return out


def _assert_agrees(dialect: Dialect, tree: dict[str, Any], menus: set[str] | None) -> int:
    """Compare every modeled menu of ``tree`` (restricted to ``menus``); return #commands."""
    seen = {m: n for m, n in _menus(tree) if menus is None or m in menus}
    wanted = {m for m in modeled_menus() if menus is None or m in menus}
    for menu in wanted - set(seen):
        assert not dialect.has_menu(menu), f"{dialect.version}: /{menu} is not in the tree"
    checked = 0
    for menu, node in seen.items():
        assert dialect.has_menu(menu), f"{dialect.version}: /{menu} missing from the table"
        tree_commands = _commands(menu, node)
        assert dialect.commands(menu) == frozenset(tree_commands), f"{dialect.version} /{menu}"
        for command, args in tree_commands.items():
            assert dialect.args(menu, command) == args, f"{dialect.version} /{menu}/{command}"
            checked += 1
    return checked


@pytest.mark.parametrize("path", SUBTREE_FILES, ids=[p.stem for p in SUBTREE_FILES])
def test_table_agrees_with_subtree(path: Path) -> None:
    tree = _load(path)
    dialect = Dialect.for_version(path.stem)
    assert dialect.resolved == parse_version(path.stem)
    subtree_menus = {m for m, _ in _menus(tree)}
    assert not subtree_menus & WHOLE_ONLY, "a subtree now carries a whole-only menu: regenerate"
    assert _assert_agrees(dialect, tree, modeled_menus() - WHOLE_ONLY) > 100


@pytest.mark.parametrize("path", WHOLE_FILES, ids=[p.parent.name for p in WHOLE_FILES])
def test_table_agrees_with_whole_tree(path: Path) -> None:
    """Every modeled menu, the whole-only ones included, matches the whole capture."""
    dialect = Dialect.for_version(path.parent.name)
    assert _assert_agrees(dialect, _load(path), None) > 100


def test_whole_only_menus_before_first_whole_capture_follow_it() -> None:
    """Versions older than the first whole capture use its base menus (documented rule)."""
    first = WHOLE_FILES[0]
    older = [
        v
        for v in ("7.15", "7.17.1", "7.19.4")
        if parse_version(v) < parse_version(first.parent.name)
    ]
    if not older:
        pytest.skip(f"every version has a whole capture (the first is {first.parent.name})")
    tree = _load(first)
    for version in older:
        _assert_agrees(Dialect.for_version(version), tree, WHOLE_ONLY)


def test_every_version_file_is_in_the_table() -> None:
    """A new capture dropped into the schema folder must come with a regenerated table."""
    assert [str(v) for v in captured_versions("subtree")] == sorted(
        (p.stem for p in SUBTREE_FILES), key=parse_version
    )
    assert [str(v) for v in captured_versions("whole")] == sorted(
        (p.parent.name for p in WHOLE_FILES), key=parse_version
    )


def test_every_modeled_menu_is_in_some_tree() -> None:
    found: set[str] = set()
    for path in [*SUBTREE_FILES, *WHOLE_FILES]:
        found.update(m for m, _ in _menus(_load(path)))
    assert found == modeled_menus()


DEEP_FILES = _files(SCHEMA / "subtrees" / "deep-inspect", "*.json")
REQUIRED_FILES = [
    p
    for p in _files(SCHEMA / "required-args", "required-args.v*.json")
    if not p.name.endswith(".meta.json")
]


@pytest.mark.parametrize("path", DEEP_FILES, ids=[p.stem for p in DEEP_FILES])
def test_properties_agree_with_deep_inspect(path: Path) -> None:
    """``properties(menu)`` is the ``get value-name`` completion list of the capture."""
    dialect = Dialect.for_version(path.stem)
    checked = 0
    for menu, node in _menus(_load(path)):
        completion = node.get("get", {}).get("value-name", {}).get("_completion")
        if completion is None:
            assert dialect.properties(menu) is None, menu
            continue
        assert dialect.properties(menu) == frozenset(completion), f"{path.stem} /{menu}"
        checked += 1
    assert checked >= 5


@pytest.mark.parametrize("path", REQUIRED_FILES, ids=[p.stem for p in REQUIRED_FILES])
def test_required_args_agree_with_live_probes(path: Path) -> None:
    version = path.stem.removeprefix("required-args.v")
    dialect = Dialect.for_version(version)
    checked = 0
    for entry in json.loads(path.read_text()):
        menu = entry["path"].strip("/")
        if Dialect.is_modeled(menu) and entry["hasAdd"] and dialect.has_menu(menu):
            assert dialect.required_args(menu, "add") == frozenset(entry["required"]), menu
            checked += 1
    assert checked >= 5
