"""Limits every YAML document mikrodock reads is held to before it is built into a tree.

A few hundred bytes of nested aliases (``a: &a [x, x]``, ``b: &b [*a, *a]``, ...) expand to
billions of nodes once anything walks the tree, and a few thousand nested brackets overflow
Python's recursion in the composer. :func:`check_yaml` reads the document's event stream once
(the parser keeps its own stack, so nesting cannot overflow it) and refuses, naming the line:

- text over :data:`MAX_BYTES`;
- nesting deeper than :data:`MAX_DEPTH`;
- aliases that would add more than :data:`MAX_ALIAS_NODES` nodes when expanded (each alias
  counts the size of the node it names, aliases inside it included);
- an alias inside the node it names (a loop no reader can walk);
- a key written twice in one mapping (the YAML spec forbids it; readers disagree on which one
  wins, so neither does here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
)

__all__ = [
    "MAX_ALIAS_NODES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "YamlLimit",
    "check_yaml",
]

MAX_BYTES = 512 << 10
MAX_DEPTH = 100
MAX_ALIAS_NODES = 100_000


@dataclass(frozen=True)
class YamlLimit:
    """Why a document is refused, the 1-based line, and what to do."""

    message: str
    line: int | None
    hint: str


class _Frame:
    __slots__ = ("anchor", "is_mapping", "keys", "size", "want_key")

    def __init__(self, anchor: str | None, is_mapping: bool) -> None:
        self.anchor = anchor
        self.is_mapping = is_mapping
        self.size = 1
        self.want_key = True
        self.keys: set[str] = set()


def _line(event: object) -> int | None:
    mark = getattr(event, "start_mark", None)
    return int(mark.line) + 1 if mark is not None else None


# Brackets, and the quoted strings and comments whose brackets do not count.
_FLOW = re.compile(r"""[\[\]{}]|"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|(?:^|(?<=\s))#[^\n]*""", re.M)


def _flow_depth(text: str) -> tuple[int, int] | None:
    """Where brackets first nest deeper than :data:`MAX_DEPTH` (offset), or None.

    The parser's scanner keeps every open bracket as a possible key and rescans them all for
    each token, so a few thousand nested brackets cost it seconds: they are caught here first.
    """
    depth = 0
    for match in _FLOW.finditer(text):
        char = match.group()
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return depth, match.start()
        elif char in "]}":
            depth = max(0, depth - 1)
    return None


def check_yaml(text: str) -> YamlLimit | None:
    """The first limit ``text`` breaks, or None. Syntax errors are left to the real reader."""
    if len(text) > MAX_BYTES:
        return YamlLimit(
            f"the file is {len(text)} bytes; YAML files over {MAX_BYTES} bytes are refused",
            None,
            "split it, or move large content into files it refers to",
        )
    deep = _flow_depth(text)
    if deep is not None:
        line = text.count("\n", 0, deep[1]) + 1
        return YamlLimit(f"nesting deeper than {MAX_DEPTH} levels", line, "flatten it")
    anchors: dict[str, int] = {}
    stack: list[_Frame] = []
    added = 0  # nodes aliases add beyond the document's own
    try:
        for event in YAML(typ="safe", pure=True).parse(text):
            if isinstance(event, CollectionEndEvent):
                frame = stack.pop()
                if frame.anchor is not None:
                    anchors[frame.anchor] = frame.size
                if stack:
                    stack[-1].size += frame.size
                continue
            if not isinstance(event, NodeEvent):
                continue
            key = event.value if isinstance(event, ScalarEvent) else None
            if stack and _key_or_value(stack[-1], key):
                return YamlLimit(
                    f"the key {key!r} appears twice in one mapping",
                    _line(event),
                    "keep one of them; YAML keys must be unique",
                )
            if isinstance(event, CollectionStartEvent):
                stack.append(_Frame(event.anchor, isinstance(event, MappingStartEvent)))
                if len(stack) > MAX_DEPTH:
                    return YamlLimit(
                        f"nesting deeper than {MAX_DEPTH} levels", _line(event), "flatten it"
                    )
                continue
            size = 1
            if isinstance(event, AliasEvent):
                if any(frame.anchor == event.anchor for frame in stack):
                    return YamlLimit(
                        f"the alias *{event.anchor} refers to a node that contains it",
                        _line(event),
                        "YAML data cannot contain itself; write the value out",
                    )
                size = anchors.get(str(event.anchor), 1)
                added += size
                if added > MAX_ALIAS_NODES:
                    return YamlLimit(
                        f"aliases expand to more than {MAX_ALIAS_NODES} nodes (an alias bomb?)",
                        _line(event),
                        "write the values out, or use fewer nested aliases",
                    )
            elif event.anchor is not None:
                anchors[str(event.anchor)] = 1
            if stack:
                stack[-1].size += size
    except YAMLError:
        return None  # the reader that follows reports the syntax error with its line
    return None


def _key_or_value(frame: _Frame, key: str | None) -> bool:
    """Note a node in ``frame``; True when it is a key the mapping already has."""
    if not frame.is_mapping:
        return False
    if frame.want_key:
        frame.want_key = False
        if key is not None:
            if key in frame.keys:
                return True
            frame.keys.add(key)
        return False
    frame.want_key = True
    return False
