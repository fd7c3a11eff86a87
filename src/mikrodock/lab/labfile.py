"""Lab files: several CHR routers and the links between them, in one YAML file.

::

    name: ospf-demo               # optional; default: the file's name without .yaml
    defaults:                     # optional; any router key except startup
      version: 7.22.3
      memory: 256M
    routers:
      r1:
        version: stable           # a version or a channel
        memory: 512M
        cpus: 2
        startup: r1.rsc           # a RouterOS script run once after the first boot
      r2:
        image: ./chr-7.22.3.img   # a local image instead of a version
    links:
      - r1:ether2=r2:ether2       # ether1 of every router is its management NIC

:func:`parse_lab` reads and checks everything it can without touching the network or a
machine; every error names the file and line and says how to fix it. Paths in the file are
relative to the file's folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from mikrodock.errors import UsageError
from mikrodock.routeros.values import parse_size
from mikrodock.routeros.version import CHANNELS, parse_version
from mikrodock.routeros.yaml_limits import MAX_BYTES, check_yaml

__all__ = [
    "Endpoint",
    "Lab",
    "LabError",
    "LabLink",
    "LabRouter",
    "load_lab",
    "parse_endpoint",
    "parse_lab",
    "parse_link",
]

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_IFACE = re.compile(r"^ether([1-9][0-9]?)$")
MAX_ETHER = 32
ROUTER_KEYS = ("version", "image", "arch", "memory", "cpus", "startup")
TOP_KEYS = ("name", "defaults", "routers", "links")


class LabError(UsageError):
    """A lab file that cannot be used, with the line (1-based) where it goes wrong."""

    def __init__(self, message: str, *, line: int | None, source: str, hint: str) -> None:
        where = f"{source}:{line}: " if line else f"{source}: "
        super().__init__(where + message, hint=hint)
        self.line = line


@dataclass(frozen=True)
class Endpoint:
    router: str
    interface: str
    """``etherN`` with N >= 2"""

    @property
    def index(self) -> int:
        """N of etherN."""
        return int(self.interface[5:])

    def __str__(self) -> str:
        return f"{self.router}:{self.interface}"


@dataclass(frozen=True)
class LabLink:
    a: Endpoint
    b: Endpoint
    line: int = 0

    def __str__(self) -> str:
        return f"{self.a}={self.b}"


@dataclass(frozen=True)
class LabRouter:
    name: str
    version: str = "stable"
    """a version (``7.22.3``) or a channel name; ignored when ``image`` is set"""
    image: Path | None = None
    arch: str = "x86_64"
    memory: str = "256M"
    cpus: int = 1
    startup: Path | None = None
    line: int = 0


@dataclass(frozen=True)
class Lab:
    name: str
    routers: tuple[LabRouter, ...]
    links: tuple[LabLink, ...] = ()
    source: Path | None = None
    notes: tuple[str, ...] = field(default=())

    def router(self, name: str) -> LabRouter:
        for router in self.routers:
            if router.name == name:
                return router
        raise KeyError(name)


def parse_endpoint(text: str) -> Endpoint:
    """``r1:ether2`` -> Endpoint; a UsageError that says the form otherwise."""
    router, sep, iface = text.strip().partition(":")
    match = _IFACE.match(iface)
    if not sep or not _NAME.match(router) or match is None:
        raise UsageError(
            f"bad link end {text!r}",
            hint="write ROUTER:etherN, like r1:ether2 (router names are lower-case)",
        )
    number = int(match.group(1))
    if number == 1:
        raise UsageError(
            f"{text}: ether1 is the router's management interface",
            hint="link ether2 or higher",
        )
    if number > MAX_ETHER:
        raise UsageError(f"{text}: at most ether{MAX_ETHER}", hint="use fewer interfaces")
    return Endpoint(router, iface)


def parse_link(text: str) -> LabLink:
    """``r1:ether2=r2:ether2`` -> LabLink."""
    left, sep, right = text.partition("=")
    if not sep:
        raise UsageError(f"bad link {text!r}", hint="write it like r1:ether2=r2:ether2")
    a, b = parse_endpoint(left), parse_endpoint(right)
    if a.router == b.router:
        raise UsageError(f"link {text!r} joins {a.router} to itself", hint="link two routers")
    return LabLink(a, b)


class _Reader:
    """Checks one lab document, remembering the source name for line-numbered errors."""

    def __init__(self, source: str, base: Path) -> None:
        self.source = source
        self.base = base

    def fail(self, message: str, line: int | None, hint: str) -> LabError:
        return LabError(message, line=line, source=self.source, hint=hint)

    @staticmethod
    def key_line(node: CommentedMap, key: Any) -> int:
        return int(node.lc.key(key)[0]) + 1

    @staticmethod
    def value_line(node: CommentedMap, key: Any) -> int:
        return int(node.lc.value(key)[0]) + 1

    def mapping(self, value: Any, what: str, line: int) -> CommentedMap:
        if not isinstance(value, CommentedMap):
            raise self.fail(
                f"{what} must be a mapping", line, f"write {what} as `key: value` lines"
            )
        return value

    def unknown_keys(self, node: CommentedMap, known: tuple[str, ...], what: str) -> None:
        for key in node:
            if key not in known:
                raise self.fail(
                    f"unknown key {key!r} in {what}",
                    self.key_line(node, key),
                    f"known keys: {', '.join(known)}",
                )

    def text(self, node: CommentedMap, key: str) -> str:
        value = node[key]
        if value is None:
            line = self.key_line(node, key)
            raise self.fail(f"{key} has no value", line, f"write `{key}: VALUE`")
        if isinstance(value, (CommentedMap, CommentedSeq)):
            raise self.fail(
                f"{key} must be a single value", self.value_line(node, key), f"write `{key}: VALUE`"
            )
        return str(value)

    def router(self, name: Any, node: Any, defaults: dict[str, Any], line: int) -> LabRouter:
        if not isinstance(name, str) or not _NAME.match(name):
            raise self.fail(
                f"bad router name {name!r}",
                line,
                "use 1-40 lower-case letters, digits, '-' or '_'",
            )
        body = CommentedMap() if node is None else self.mapping(node, f"router {name}", line)
        self.unknown_keys(body, ROUTER_KEYS, f"router {name}")
        values: dict[str, Any] = dict(defaults)
        lines: dict[str, int] = {k: line for k in defaults}
        for key in body:
            values[key] = self.text(body, key)
            lines[key] = self.value_line(body, key)
        return self.build_router(name, values, lines, line)

    def build_router(
        self, name: str, values: dict[str, Any], lines: dict[str, int], line: int
    ) -> LabRouter:
        version = str(values.get("version", "stable"))
        if version not in CHANNELS:
            try:
                version = str(parse_version(version))
            except UsageError:
                raise self.fail(
                    f"router {name}: unknown version or channel {version!r}",
                    lines.get("version"),
                    f"give a version like 7.22.3 or a channel: {', '.join(CHANNELS)}",
                ) from None
        arch = str(values.get("arch", "x86_64"))
        if arch not in ("x86_64", "aarch64"):
            raise self.fail(f"router {name}: unknown arch {arch!r}", lines.get("arch"), "x86_64")
        memory = str(values.get("memory", "256M"))
        size = self._size(memory)
        if size is None or size < 128 << 20:
            raise self.fail(
                f"router {name}: memory {memory!r} is not a size of 128M or more",
                lines.get("memory"),
                "write it like 256M or 1G",
            )
        cpus_text = str(values.get("cpus", "1"))
        if not cpus_text.isdigit() or int(cpus_text) < 1:
            raise self.fail(
                f"router {name}: cpus {cpus_text!r} is not a whole number of 1 or more",
                lines.get("cpus"),
                "e.g. cpus: 2",
            )
        return LabRouter(
            name=name,
            version=version,
            image=self.path(values.get("image"), name, "image", lines.get("image")),
            arch=arch,
            memory=memory,
            cpus=int(cpus_text),
            startup=self.path(values.get("startup"), name, "startup", lines.get("startup")),
            line=line,
        )

    @staticmethod
    def _size(text: str) -> int | None:
        try:
            return parse_size(text)
        except (UsageError, ValueError):
            return None

    def path(self, value: Any, name: str, key: str, line: int | None) -> Path | None:
        if value is None:
            return None
        path = Path(str(value)).expanduser()
        path = path if path.is_absolute() else self.base / path
        if not path.is_file():
            raise self.fail(
                f"router {name}: {key} file {value} does not exist", line, f"looked for {path}"
            )
        return path

    def links(self, node: Any, line: int, routers: dict[str, LabRouter]) -> list[LabLink]:
        if node is None:
            return []
        if not isinstance(node, CommentedSeq):
            raise self.fail("links must be a list", line, "write `- r1:ether2=r2:ether2` lines")
        found: list[LabLink] = []
        used: dict[Endpoint, int] = {}
        for index, item in enumerate(node):
            item_line = int(node.lc.item(index)[0]) + 1
            if not isinstance(item, str):
                raise self.fail("a link must be text", item_line, "write r1:ether2=r2:ether2")
            try:
                link = parse_link(item)
            except UsageError as exc:
                raise self.fail(str(exc), item_line, exc.hint or "") from None
            for end in (link.a, link.b):
                if end.router not in routers:
                    raise self.fail(
                        f"link {item}: no router named {end.router!r}",
                        item_line,
                        f"routers in this lab: {', '.join(routers) or 'none'}",
                    )
                if end in used:
                    raise self.fail(
                        f"link {item}: {end} is already used by the link on line {used[end]}",
                        item_line,
                        "each interface takes part in one link",
                    )
                used[end] = item_line
            found.append(LabLink(link.a, link.b, item_line))
        return found


def _load_yaml(text: str, source: str) -> Any:
    limit = check_yaml(text)
    if limit is not None:
        raise LabError(limit.message, line=limit.line, source=source, hint=limit.hint)
    yaml = YAML(typ="rt", pure=True)
    try:
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise LabError(
            f"not valid YAML: {exc.problem or exc.context}",
            line=line,
            source=source,
            hint="fix the YAML syntax",
        ) from None
    except YAMLError as exc:
        raise LabError(f"not valid YAML: {exc}", line=None, source=source, hint="fix it") from None


def parse_lab(text: str, *, source: str = "lab.yaml", base: Path | None = None) -> Lab:
    """Check a lab document; ``base`` is the folder relative paths start from."""
    reader = _Reader(source, base or Path.cwd())
    document = _load_yaml(text, source)
    if document is None:
        raise reader.fail(
            "the lab file is empty (no routers)", None, "list routers under `routers:`"
        )
    top = reader.mapping(document, "the lab file", 1)
    reader.unknown_keys(top, TOP_KEYS, "the lab file")
    name = Path(source).name.removesuffix(".yaml").removesuffix(".yml") or "lab"
    if "name" in top:
        name = reader.text(top, "name")
    if not _NAME.match(name):
        raise reader.fail(
            f"bad lab name {name!r}",
            reader.value_line(top, "name") if "name" in top else None,
            "use lower-case letters, digits, '-' or '_' (name: my-lab)",
        )
    defaults: dict[str, Any] = {}
    if "defaults" in top:
        node = reader.mapping(top["defaults"], "defaults", reader.key_line(top, "defaults"))
        reader.unknown_keys(node, tuple(k for k in ROUTER_KEYS if k != "startup"), "defaults")
        defaults = {key: reader.text(node, key) for key in node}
    if "routers" not in top or not top["routers"]:
        raise reader.fail("the lab has no routers", None, "add a `routers:` mapping")
    line = reader.key_line(top, "routers")
    routers_node = reader.mapping(top["routers"], "routers", line)
    routers: dict[str, LabRouter] = {}
    for key in routers_node:
        routers[str(key)] = reader.router(
            key, routers_node[key], defaults, reader.key_line(routers_node, key)
        )
    links_line = reader.key_line(top, "links") if "links" in top else 0
    links = reader.links(top.get("links"), links_line, routers)
    return Lab(name, tuple(routers.values()), tuple(links), None)


def load_lab(path: Path) -> Lab:
    """Read and check the lab file at ``path``."""
    try:
        with path.open(encoding="utf-8") as handle:
            text = handle.read(MAX_BYTES + 1)  # enough to refuse one that is too large
    except UnicodeDecodeError:
        raise UsageError(
            f"the lab file {path} is not UTF-8 text", hint="give a YAML lab file"
        ) from None
    except OSError as exc:
        raise UsageError(
            f"cannot read the lab file {path}: {exc.strerror}", hint="check the path"
        ) from exc
    lab = parse_lab(text, source=str(path), base=path.resolve().parent)
    return Lab(lab.name, lab.routers, lab.links, path.resolve())
