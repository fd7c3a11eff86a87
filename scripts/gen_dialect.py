#!/usr/bin/env python3
"""Generate ``src/mikrodock/routeros/dialect_table.json`` from RouterOS command trees.

Usage::

    python scripts/gen_dialect.py [SCHEMA_DIR] [--output FILE] [--check]

``SCHEMA_DIR`` (default: ``<repo>/../shared/routeros-schema``) holds RouterOS ``/console/inspect``
trees: ``subtrees/inspect/<version>.json`` (one per captured version, container-related menus)
and ``whole/<version>/inspect.extra.json`` (a few versions, every menu). For each modeled menu
the table records which captured versions have the menu, each of its commands and each
argument, as version ranges instead of a copy per version. ``--check`` exits 1 when the
committed table differs from what the trees give.

Table format (see docs/DIALECT.md)::

    {"format": 1,
     "floor": "7.15",                     # oldest version the table speaks for
     "sources": {"subtree": [versions...], "whole": [versions...]},
     "menus": {"container": {"source": "subtree", "in": RANGES,
                             "commands": {"add": {"in": RANGES,
                                                  "args": {"envlist": RANGES, ...}}}}}}

RANGES is a string: ``""`` = in every capture of the source; otherwise ``"A-B,C-"``: present from
capture A up to (not including) capture B, and again from C on. A range that starts at the
source's first capture is written with an empty start (``"-7.20"``), meaning "since the floor".
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SCHEMA = REPO.parent / "shared" / "routeros-schema"
DEFAULT_OUTPUT = REPO / "src" / "mikrodock" / "routeros" / "dialect_table.json"

FLOOR = "7.15"

# Menus whose whole subtree (every submenu) is modeled.
RECURSIVE_ROOTS = ("container", "app")
# Menus modeled on their own (no submenus).
SINGLE_MENUS = (
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
# Menus where only some commands are modeled.
COMMAND_FILTER = {"tool": frozenset({"fetch"})}

MENU_TYPES = ("dir", "path")

Tree = dict[str, Any]


def version_key(text: str) -> tuple[int, ...]:
    """Order plain captured versions like ``7.15``, ``7.15.1`` (no pre-releases among them)."""
    parts = [int(p) for p in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def node_at(tree: Tree, menu: str) -> Tree | None:
    node: Any = tree
    for segment in menu.split("/"):
        if not isinstance(node, dict):
            return None
        node = node.get(segment)
    if isinstance(node, dict) and node.get("_type") in MENU_TYPES:
        return node
    return None


def is_menu(node: Any) -> bool:
    return isinstance(node, dict) and node.get("_type") in MENU_TYPES


def commands_of(node: Tree, menu: str) -> dict[str, frozenset[str]]:
    wanted = COMMAND_FILTER.get(menu)
    out: dict[str, frozenset[str]] = {}
    for name, child in node.items():
        if not isinstance(child, dict) or child.get("_type") != "cmd":
            continue
        if wanted is not None and name not in wanted:
            continue
        out[name] = frozenset(
            arg for arg, value in child.items() if isinstance(value, dict) and arg != "_type"
        )
    return out


def submenus(tree: Tree, root: str) -> list[str]:
    """``root`` and every menu below it, as slash paths."""
    found: list[str] = []

    def walk(node: Tree, path: str) -> None:
        found.append(path)
        for name, child in node.items():
            if is_menu(child):
                walk(child, f"{path}/{name}")

    start = node_at(tree, root)
    if start is not None:
        walk(start, root)
    return found


def extract(tree: Tree, menus: list[str]) -> dict[str, dict[str, frozenset[str]]]:
    """menu -> command -> argument names, for the menus present in ``tree``."""
    out: dict[str, dict[str, frozenset[str]]] = {}
    for menu in menus:
        node = node_at(tree, menu)
        if node is not None:
            out[menu] = commands_of(node, menu)
    return out


def ranges(present: list[bool], captures: list[str]) -> str:
    """Encode which captures have a thing; ``""`` means all of them."""
    if all(present):
        return ""
    parts: list[str] = []
    start: int | None = None
    for index, here in enumerate([*present, False]):
        if here and start is None:
            start = index
        elif not here and start is not None:
            begin = "" if start == 0 else captures[start]
            end = captures[index] if index < len(captures) else ""
            parts.append(f"{begin}-{end}")
            start = None
    return ",".join(parts)


def load_captures(schema: Path) -> tuple[dict[str, Tree], dict[str, Tree]]:
    subtree_dir = schema / "subtrees" / "inspect"
    whole_dir = schema / "whole"
    if not subtree_dir.is_dir() or not whole_dir.is_dir():
        raise SystemExit(f"not a routeros-schema folder (no subtrees/inspect or whole): {schema}")
    subtrees = {p.stem: json.loads(p.read_text()) for p in subtree_dir.glob("*.json")}
    wholes = {
        p.parent.name: json.loads(p.read_text()) for p in whole_dir.glob("*/inspect.extra.json")
    }
    return _by_version(subtrees), _by_version(wholes)


def _by_version(trees: dict[str, Tree]) -> dict[str, Tree]:
    return dict(sorted(trees.items(), key=lambda item: version_key(item[0])))


def menus_for(trees: dict[str, Tree], roots: list[str]) -> list[str]:
    names: set[str] = set()
    for tree in trees.values():
        for root in roots:
            if root in RECURSIVE_ROOTS:
                names.update(submenus(tree, root))
            elif node_at(tree, root) is not None:
                names.add(root)
    return sorted(names)


def build(schema: Path) -> dict[str, Any]:
    subtrees, wholes = load_captures(schema)
    roots = [*RECURSIVE_ROOTS, *SINGLE_MENUS]
    # A root menu comes from the per-version subtrees when they carry it, else from whole trees.
    in_subtrees = {r for r in roots if any(node_at(t, r) is not None for t in subtrees.values())}
    sources = {
        "subtree": (subtrees, [r for r in roots if r in in_subtrees]),
        "whole": (wholes, [r for r in roots if r not in in_subtrees]),
    }
    table_menus: dict[str, Any] = {}
    for source, (trees, source_roots) in sources.items():
        captures = list(trees)
        menus = menus_for(trees, source_roots)
        per_version = {v: extract(t, menus) for v, t in trees.items()}
        for menu in menus:
            commands = sorted({c for v in captures for c in per_version[v].get(menu, {})})
            entry: dict[str, Any] = {
                "source": source,
                "in": ranges([menu in per_version[v] for v in captures], captures),
                "commands": {},
            }
            for command in commands:
                have = [per_version[v].get(menu, {}).get(command) for v in captures]
                args = sorted({a for h in have if h is not None for a in h})
                entry["commands"][command] = {
                    "in": ranges([h is not None for h in have], captures),
                    "args": {
                        a: ranges([h is not None and a in h for h in have], captures) for a in args
                    },
                }
            table_menus[menu] = entry
    deep = load_deep(schema)
    return {
        "format": 1,
        "floor": FLOOR,
        "sources": {
            **{name: list(trees) for name, (trees, _) in sources.items()},
            "deep": list(deep),
        },
        "menus": dict(sorted(table_menus.items())),
        "properties": properties(deep, sorted(table_menus)),
        "required": required(schema, sorted(table_menus)),
    }


def load_deep(schema: Path) -> dict[str, Tree]:
    folder = schema / "subtrees" / "deep-inspect"
    return _by_version({p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")})


def properties(deep: dict[str, Tree], menus: list[str]) -> dict[str, dict[str, str]]:
    """menu -> readable property -> ranges over the deep captures, from the completions of
    ``<menu>/get value-name`` (every field a record of the menu can have)."""
    captures = list(deep)
    per_version: dict[str, dict[str, set[str]]] = {}
    for version, tree in deep.items():
        for menu in menus:
            node = node_at(tree, menu)
            completion = ((node or {}).get("get", {}).get("value-name", {})).get("_completion")
            if isinstance(completion, dict):
                per_version.setdefault(menu, {})[version] = set(completion)
    out: dict[str, dict[str, str]] = {}
    for menu, seen in sorted(per_version.items()):
        names = sorted(set().union(*seen.values()))
        out[menu] = {
            n: ranges([n in seen.get(v, set()) for v in captures], captures) for n in names
        }
    return out


def required(schema: Path, menus: list[str]) -> dict[str, dict[str, list[str]]]:
    """menu -> {"add": arguments a live router refused to go without}. The probes cover base
    menus only and agree across their versions; a disagreement stops the generator."""
    found: dict[str, set[frozenset[str]]] = {}
    for path in sorted((schema / "required-args").glob("required-args.v*.json")):
        if path.name.endswith(".meta.json"):
            continue
        for entry in json.loads(path.read_text()):
            menu = entry["path"].strip("/")
            if menu in menus and entry.get("hasAdd"):
                found.setdefault(menu, set()).add(frozenset(entry["required"]))
    out: dict[str, dict[str, list[str]]] = {}
    for menu, sets in sorted(found.items()):
        if len(sets) != 1:
            raise SystemExit(f"required args of /{menu}/add differ between versions: {sets}")
        out[menu] = {"add": sorted(next(iter(sets)))}
    return out


def render(table: dict[str, Any]) -> str:
    return json.dumps(table, sort_keys=True, separators=(",", ":")) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("schema", nargs="?", type=Path, default=DEFAULT_SCHEMA)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    options = parser.parse_args(argv)
    text = render(build(options.schema))
    if options.check:
        current = options.output.read_text() if options.output.exists() else ""
        if current != text:
            print(f"{options.output} is out of date; run scripts/gen_dialect.py", file=sys.stderr)
            return 1
        return 0
    options.output.write_text(text)
    print(f"wrote {options.output} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
