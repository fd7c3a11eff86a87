"""YAML as a tree of nodes that keep their raw scalar text and their line numbers.

RouterOS and the compose specification both read scalars as text (``DEBUG: true`` gives the
variable the text ``true``; ``PUID: 0100`` keeps its leading zero), so the modules of this package
work on the composed node tree of ruamel.yaml rather than on constructed Python values. Each
helper here turns one kind of node into what the caller needs and raises a :class:`YamlError`
that names the line when the node has the wrong kind.
"""

from __future__ import annotations

from collections.abc import Iterator

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from mikrodock.errors import UsageError
from mikrodock.routeros.yaml_limits import MAX_BYTES, check_yaml

__all__ = [
    "MappingNode",
    "Node",
    "ScalarNode",
    "SequenceNode",
    "YamlError",
    "compose",
    "is_null",
    "key_line",
    "line_of",
    "mapping_get",
    "mapping_items",
    "read_source",
    "scalar_text",
    "sequence_items",
    "to_python",
]

NULL_TAG = "tag:yaml.org,2002:null"


class YamlError(UsageError):
    """A YAML file that is not what it should be, with the line (1-based) where it goes wrong."""

    def __init__(
        self, message: str, *, line: int | None = None, source: str = "", hint: str | None = None
    ) -> None:
        where = f"{source}:{line}: " if source and line else f"line {line}: " if line else ""
        if source and not line:
            where = f"{source}: "
        super().__init__(f"{where}{message}", hint=hint)
        self.line = line
        self.source = source
        self.bare_message = message


def compose(text: str, *, source: str = "") -> Node | None:
    """The node tree of one YAML document (None for an empty one); syntax errors name the line."""
    limit = check_yaml(text)
    if limit is not None:
        raise YamlError(limit.message, line=limit.line, source=source, hint=limit.hint)
    yaml = YAML(typ="safe", pure=True)
    try:
        node: Node | None = yaml.compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark is not None and "stream end" in str(exc.problem or ""):
            mark = exc.context_mark  # "got end of file": where the unclosed thing began
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlError(
            f"YAML syntax error: {problem}",
            line=line,
            source=source,
            hint="fix the YAML syntax at that line",
        ) from exc
    except YAMLError as exc:
        raise YamlError(
            f"YAML syntax error: {exc}", source=source, hint="fix the YAML syntax"
        ) from exc
    if node is not None:
        _flatten_merges(node, set())
    return node


MERGE_TAG = "tag:yaml.org,2002:merge"


def _flatten_merges(node: Node, seen: set[int]) -> None:
    """Resolve ``<<: *anchor`` merge keys in place: explicit keys win, merged ones come first."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, SequenceNode):
        for item in node.value:
            _flatten_merges(item, seen)
        return
    if not isinstance(node, MappingNode):
        return
    merged: dict[object, tuple[Node, Node]] = {}
    explicit: list[tuple[Node, Node]] = []
    for key, value in node.value:
        _flatten_merges(value, seen)
        if isinstance(key, ScalarNode) and key.tag == MERGE_TAG:
            sources = value.value if isinstance(value, SequenceNode) else [value]
            for source in sources:
                if isinstance(source, MappingNode):
                    for pair in source.value:
                        merged.setdefault(_key_of(pair[0]), pair)
        else:
            explicit.append((key, value))
    if merged or len(explicit) != len(node.value):
        mine = {_key_of(k) for k, _v in explicit}
        kept = [pair for name, pair in merged.items() if name not in mine]
        node.value = kept + explicit


def _key_of(node: Node) -> object:
    """What makes two keys the same: a scalar's text; any other node is only itself."""
    return ("scalar", node.value) if isinstance(node, ScalarNode) else ("node", id(node))


def line_of(node: Node) -> int:
    """The 1-based line where ``node`` starts."""
    return int(node.start_mark.line) + 1


def is_null(node: Node | None) -> bool:
    return node is None or (isinstance(node, ScalarNode) and node.tag == NULL_TAG)


def scalar_text(node: Node, what: str, *, source: str = "") -> str:
    """The raw text of a scalar (``true`` stays ``true``, ``0755`` stays ``0755``)."""
    if not isinstance(node, ScalarNode):
        raise YamlError(
            f"{what} must be a single value, not a list or a mapping",
            line=line_of(node),
            source=source,
        )
    return str(node.value)


def mapping_items(node: Node, what: str, *, source: str = "") -> Iterator[tuple[str, Node]]:
    """The ``(key text, value node)`` pairs of a mapping, in document order."""
    if not isinstance(node, MappingNode):
        raise YamlError(f"{what} must be a mapping (key: value)", line=line_of(node), source=source)
    for key, value in node.value:
        yield scalar_text(key, f"a key of {what}", source=source), value


def mapping_get(node: MappingNode, key: str) -> Node | None:
    """The value node under ``key`` (the last one when a key repeats), or None."""
    found: Node | None = None
    for key_node, value in node.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            found = value
    return found


def key_line(node: Node, key: str) -> int | None:
    if not isinstance(node, MappingNode):
        return None
    for key_node, _value in node.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return line_of(key_node)
    return None


def sequence_items(node: Node, what: str, *, source: str = "") -> list[Node]:
    """The items of a sequence; a null node is an empty sequence."""
    if is_null(node):
        return []
    if not isinstance(node, SequenceNode):
        raise YamlError(f"{what} must be a list", line=line_of(node), source=source)
    return list(node.value)


_BOOL_TRUE = {"true", "True", "TRUE"}
_BOOL_FALSE = {"false", "False", "FALSE"}


def to_python(node: Node | None) -> object:
    """Plain Python data (for JSON schema checks and printing): ints, floats, bools per YAML 1.2."""
    if node is None:
        return None
    if isinstance(node, MappingNode):
        return {str(to_python(k)): to_python(v) for k, v in node.value}
    if isinstance(node, SequenceNode):
        return [to_python(item) for item in node.value]
    assert isinstance(node, ScalarNode)
    tag = str(node.tag)
    text = str(node.value)
    if tag == NULL_TAG:
        return None
    if tag.endswith(":bool"):
        return text in _BOOL_TRUE or text.lower() in {"yes", "on", "y"}
    if tag.endswith(":int"):
        for base in (10, 0):
            try:
                return int(text.replace("_", ""), base)
            except ValueError:
                continue
        return text
    if tag.endswith(":float"):
        try:
            return float(text.replace("_", ""))
        except ValueError:
            return text
    return text


def read_source(path: str) -> str:
    """The text of a YAML file (``-`` for stdin); a missing or unreadable file is a UsageError."""
    import sys
    from pathlib import Path

    if path == "-":
        return sys.stdin.read(MAX_BYTES + 1)
    try:
        with Path(path).open(encoding="utf-8") as handle:
            return handle.read(MAX_BYTES + 1)  # enough to refuse one that is too large
    except FileNotFoundError as exc:
        raise UsageError(f"no such file: {path}", hint="check the path") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}", hint="give a readable UTF-8 file") from exc
