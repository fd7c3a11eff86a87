"""The RouterOS command tree of each version, from the facts shipped with the package.

``facts/tree.json.gz`` is made by ``scripts/gen_sim_facts.py`` from crawls of real CHRs'
``/console/inspect`` (see docs/SIM.md). It holds every menu, command and argument of 35
RouterOS versions with equal subtrees stored once. It is read once per process, the first
time a simulator needs it, and every simulator of every version shares it; a :class:`Node`
is built once per distinct subtree and shared by all versions that have it.
"""

from __future__ import annotations

import gzip
import json
import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["Node", "Tree", "facts_versions", "tree_for"]

_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class Node:
    """One menu: its commands (name -> {arg: type text or None}), sub-menus and properties."""

    commands: dict[str, dict[str, str | None]]
    children: dict[str, int]
    props: tuple[str, ...]
    """Readable properties (what a print can show), read-only ones included."""
    required: tuple[str, ...]
    """Arguments ``add`` refuses to go without (seen on a live CHR; base packages only)."""

    @property
    def kind(self) -> str:
        """``list`` (has ``add``), ``singleton`` (``set`` without ``add``) or ``commands``."""
        if "add" in self.commands:
            return "list"
        if "set" in self.commands and "numbers" not in self.commands["set"]:
            return "singleton"
        if "print" in self.commands and "set" in self.commands:
            return "fixed"
        return "commands"


class _Facts:
    def __init__(self, raw: dict[str, Any]) -> None:
        self.types: list[str] = raw["types"]
        self.cmds: list[dict[str, int]] = raw["cmds"]
        self.props: list[list[str]] = raw["props"]
        self.nodes: list[list[Any]] = raw["nodes"]
        self.roots: dict[str, int] = raw["roots"]
        self.packages: dict[tuple[str, ...], str] = {
            tuple(path.split("/")): name for path, name in raw.get("packages", {}).items()
        }
        self._built: dict[int, Node] = {}

    def node(self, index: int) -> Node:
        found = self._built.get(index)
        if found is None:
            commands, children, props, required = self.nodes[index]
            found = Node(
                commands={
                    name: {
                        arg: (self.types[kind] if kind >= 0 else None)
                        for arg, kind in self.cmds[cmd].items()
                    }
                    for name, cmd in commands.items()
                },
                children=children,
                props=tuple(self.props[props]) if props >= 0 else (),
                required=tuple(required),
            )
            self._built[index] = found
        return found


@cache
def _facts() -> _Facts:
    data = resources.files("mikrodock.sim").joinpath("facts", "tree.json.gz").read_bytes()
    return _Facts(json.loads(gzip.decompress(data)))


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("rc")[0].split("beta")[0].split("."))


def facts_versions() -> list[str]:
    """Every version the facts describe, oldest first."""
    return sorted(_facts().roots, key=_key)


class Tree:
    """The command tree of one version."""

    def __init__(self, version: str) -> None:
        self.version = version
        self._facts = _facts()
        self._root = self._facts.roots[version]
        self._menus: dict[tuple[str, ...], Node | None] = {}

    def menu(self, path: tuple[str, ...]) -> Node | None:
        """The menu at ``path`` (``("ip", "address")``); None when this version has none."""
        try:
            return self._menus[path]
        except KeyError:
            pass
        index: int | None = self._root
        for part in path:
            if index is None:
                break
            index = self._facts.node(index).children.get(part)
        found = self._facts.node(index) if index is not None else None
        with _LOCK:
            self._menus[path] = found
        return found

    def package_of(self, path: tuple[str, ...]) -> str:
        """The package that brings the menu or command at ``path``: ``routeros`` (the base
        system) or the extra package (``container``, ``iot``, ...) a fresh CHR lacks."""
        packages = self._facts.packages
        for end in range(1, len(path) + 1):
            found = packages.get(path[:end])
            if found is not None:
                return found
        return "routeros"

    def extra_packages(self) -> frozenset[str]:
        """Every extra package the facts name (what a CHR with all of them installed has)."""
        return frozenset(self._facts.packages.values())

    def menus(self) -> list[tuple[str, ...]]:
        """Every menu path of this version (the root excluded)."""
        out: list[tuple[str, ...]] = []
        stack: list[tuple[tuple[str, ...], int]] = [((), self._root)]
        while stack:
            path, index = stack.pop()
            for name, child in self._facts.node(index).children.items():
                out.append((*path, name))
                stack.append(((*path, name), child))
        return sorted(out)


@cache
def tree_for(version: str) -> Tree:
    """The tree of ``version`` ("7.22.3"), or of the nearest older version the facts have."""
    known = facts_versions()
    if version in known:
        return Tree(version)
    try:
        wanted = _key(version)
    except ValueError:
        return Tree(known[-1])
    older = [v for v in known if _key(v) <= wanted]
    return Tree(older[-1] if older else known[0])
