"""Generate the simulator's command-tree facts from a RouterOS schema folder.

Usage: ``python scripts/gen_sim_facts.py SCHEMA_DIR [OUT_FILE]``

``SCHEMA_DIR`` holds ``whole/<ver>/inspect.extra.json`` (the whole command tree of each
version, crawled from a CHR's ``/console/inspect``), ``deep-inspect/<ver>.base.json`` (the same
with completions: enum values and, under ``<menu>/get/value-name``, every readable property)
and ``required-args/required-args.v<ver>.json`` (the arguments ``add`` really requires).

The output (default ``src/mikrodock/sim/facts/tree.json.gz``) is one gzip'd JSON document:

- ``types``: argument type texts (RouterOS's syntax ``desc``, or ``enum:a|b|c`` from a
  completion list of plain values);
- ``cmds``: argument tables, each ``{arg: type index or -1}``;
- ``props``: readable-property lists;
- ``nodes``: menus, each ``[{command: cmds index}, {child: nodes index}, props index, required]``;
- ``roots``: version -> the root node;
- ``packages``: menu or command path -> the extra package that brings it (every path not
  under one of these belongs to the base system, ``routeros``).

Which menus are extra: the whole trees were crawled with every x86 extra package installed, the
deep crawls with the base package only, so for the versions that have both (7.21.5, 7.22.3) the
extra menus are the difference. Which package each one belongs to is :data:`PACKAGES` (MikroTik's
package documentation); the script refuses to run when the difference names a menu the table
lacks, or the table names a menu the base system has.

Equal subtrees are stored once, so versions share most of their nodes. Versions without a
deep-inspect file borrow the readable properties of the nearest version that has one; menus it
lacks fall back to their ``add``/``set`` arguments.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import Any

Node = dict[str, Any]

PACKAGES: dict[str, str] = {
    # menu or command path -> extra package. Sources: MikroTik manual, "Packages" (the list of
    # extra packages and what each enables) and each feature's page ("requires the X
    # package"); `lora` as its own package and rose-storage's file commands are guessed.
    "app": "container",
    "container": "container",
    "interface/veth": "container",
    "caps-man": "wireless",
    "interface/wireless": "wireless",
    "dude": "dude",
    "iot": "iot",
    "lora": "lora",
    "openflow": "openflow",
    "system/gps": "gps",
    "tool/calea": "calea",
    "tr069-client": "tr069-client",
    "user-manager": "user-manager",
    "disk/btrfs": "rose-storage",
    "disk/nvme-discover": "rose-storage",
    "disk/raid-scrub": "rose-storage",
    "file/export": "rose-storage",
    "file/recursive-print": "rose-storage",
    "file/rsync-daemon": "rose-storage",
    "file/sync": "rose-storage",
    "rsync-daemon": "rose-storage",
}
"""The extra package of each menu (and command) a fresh CHR lacks; everything else is base."""
_SKIP_PROPS = frozenset({"copy-from", "numbers", "number", "value-name"})


def _key(version: str) -> tuple[int, ...]:
    main = version.split("rc")[0].split("beta")[0]
    return tuple(int(part) for part in main.split("."))


def _nearest(version: str, candidates: list[str]) -> str | None:
    if not candidates:
        return None
    target = _key(version)

    def distance(other: str) -> tuple[int, ...]:
        return tuple(
            abs(a - b) for a, b in zip((*_key(other), 0, 0), (*target, 0, 0), strict=False)
        )

    return min(candidates, key=distance)


def _child(node: Node, part: str) -> Node | None:
    found = node.get(part)
    return found if isinstance(found, dict) else None


def _lookup(tree: Node, path: tuple[str, ...]) -> Node | None:
    node: Node | None = tree
    for part in path:
        node = _child(node, part) if node is not None else None
    return node


def _enum(arg: Node) -> str | None:
    completion = arg.get("_completion")
    if not isinstance(completion, dict) or len(completion) < 2:
        # One completion (``auto``, ``none``, ``unlimited``, ...) is a special value next to
        # a number or a name (``/interface set mtu=1400`` or ``mtu=auto``), not a closed list.
        return None
    if all(isinstance(v, dict) and v.get("style") == "arg" for v in completion.values()):
        return "enum:" + "|".join(completion)
    return None


class Builder:
    def __init__(self) -> None:
        self.types: list[str] = []
        self.cmds: list[dict[str, int]] = []
        self.props: list[list[str]] = []
        self.nodes: list[list[Any]] = []
        self._index: dict[str, dict[str, int]] = {"t": {}, "c": {}, "p": {}, "n": {}}

    def _intern(self, kind: str, table: list[Any], value: Any) -> int:
        key = json.dumps(value, sort_keys=True, separators=(",", ":"))
        seen = self._index[kind]
        if key not in seen:
            seen[key] = len(table)
            table.append(value)
        return seen[key]

    def type_of(self, arg: Node, deep_arg: Node | None) -> int:
        text = (_enum(deep_arg) if deep_arg else None) or arg.get("desc")
        if not text:
            return -1
        return self._intern("t", self.types, text)

    def node(
        self,
        tree: Node,
        deep: Node | None,
        required: dict[str, list[str]],
        path: tuple[str, ...],
    ) -> int:
        commands: dict[str, int] = {}
        children: dict[str, int] = {}
        for name, child in sorted(tree.items()):
            if not isinstance(child, dict):
                continue
            deep_child = _child(deep, name) if deep is not None else None
            if child.get("_type") == "cmd":
                args = {}
                for arg_name, arg in sorted(child.items()):
                    if isinstance(arg, dict) and arg.get("_type") == "arg":
                        deep_arg = _child(deep_child, arg_name) if deep_child else None
                        args[arg_name] = self.type_of(arg, deep_arg)
                commands[name] = self._intern("c", self.cmds, args)
            elif child.get("_type") in ("dir", "path"):
                children[name] = self.node(child, deep_child, required, (*path, name))
        props = self._readable(tree, deep)
        add = _child(tree, "add") or {}
        need = [name for name in required.get("/" + "/".join(path), []) if name in add]
        return self._intern("n", self.nodes, [commands, children, props, need])

    def _readable(self, tree: Node, deep: Node | None) -> int:
        names: list[str] = []
        value_name = _lookup(deep, ("get", "value-name")) if deep is not None else None
        completion = value_name.get("_completion") if value_name else None
        if isinstance(completion, dict) and completion:
            names = sorted(completion)
        else:
            found: set[str] = set()
            for command in ("add", "set"):
                cmd = _child(tree, command)
                if cmd is not None:
                    found.update(k for k, v in cmd.items() if isinstance(v, dict))
            names = sorted(found - _SKIP_PROPS)
        if not names:
            return -1
        return self._intern("p", self.props, names)


def _paths(tree: Node, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every menu and command path of ``tree``."""
    out: set[tuple[str, ...]] = set()
    for name, child in tree.items():
        if isinstance(child, dict) and child.get("_type") in ("dir", "path", "cmd"):
            out.add((*prefix, name))
            if child.get("_type") != "cmd":
                out |= _paths(child, (*prefix, name))
    return out


def check_packages(whole: Node, base: Node, version: str) -> None:
    """Every path ``whole`` has beyond ``base`` must be under a :data:`PACKAGES` entry."""
    extra = _paths(whole) - _paths(base)
    tops = {path for path in extra if path[:-1] not in extra}
    known = {tuple(path.split("/")) for path in PACKAGES}
    unknown = sorted("/".join(path) for path in tops - known)
    if unknown:
        raise SystemExit(f"{version}: extra menus without a package in PACKAGES: {unknown}")
    wrong = sorted("/".join(path) for path in known & _paths(base))
    if wrong:
        raise SystemExit(f"{version}: PACKAGES names menus of the base system: {wrong}")


def _required(schema: Path) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    for file in sorted((schema / "required-args").glob("required-args.v*.json")):
        if file.name.endswith(".meta.json"):
            continue
        version = file.name[len("required-args.v") : -len(".json")]
        rows = json.loads(file.read_text())
        out[version] = {row["path"]: list(row.get("required") or []) for row in rows}
    return out


def build(schema: Path) -> dict[str, Any]:
    versions = sorted(
        (d.name for d in (schema / "whole").iterdir() if (d / "inspect.extra.json").is_file()),
        key=_key,
    )
    deep_versions = sorted(
        (f.name[: -len(".base.json")] for f in (schema / "deep-inspect").glob("*.base.json")),
        key=_key,
    )
    required = _required(schema)
    builder = Builder()
    roots: dict[str, int] = {}
    deep_cache: dict[str, Node] = {}
    for version in versions:
        tree = json.loads((schema / "whole" / version / "inspect.extra.json").read_text())
        deep_version = _nearest(version, deep_versions)
        deep = None
        if deep_version is not None:
            if deep_version not in deep_cache:
                path = schema / "deep-inspect" / f"{deep_version}.base.json"
                deep_cache[deep_version] = json.loads(path.read_text())
            deep = deep_cache[deep_version]
            if deep_version == version:
                check_packages(tree, deep, version)
        req_version = _nearest(version, sorted(required, key=_key))
        roots[version] = builder.node(tree, deep, required.get(req_version or "", {}), ())
        print(f"{version}: {len(builder.nodes)} nodes so far", file=sys.stderr)
    return {
        "format": 1,
        "types": builder.types,
        "cmds": builder.cmds,
        "props": builder.props,
        "nodes": builder.nodes,
        "roots": roots,
        "packages": PACKAGES,
    }


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    schema = Path(argv[1])
    default = Path(__file__).resolve().parent.parent / "src/mikrodock/sim/facts/tree.json.gz"
    out = Path(argv[2]) if len(argv) > 2 else default
    facts = build(schema)
    data = json.dumps(facts, separators=(",", ":")).encode()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    print(f"wrote {out}: {len(data)} bytes JSON, {out.stat().st_size} bytes gzip", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
