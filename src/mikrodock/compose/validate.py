"""Check an /app YAML against the /app schema of a RouterOS version, with line numbers.

:func:`validate_app_yaml` lists every problem (:class:`AppIssue`: line, where, what);
:func:`check_app_yaml` raises on the first one, for callers that must not go on (``compose up``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

from mikrodock.compose.schemas import app_schema
from mikrodock.routeros.version import RouterOSVersion
from mikrodock.routeros.yaml_nodes import (
    MappingNode,
    Node,
    ScalarNode,
    SequenceNode,
    YamlError,
    compose,
    line_of,
    to_python,
)

__all__ = ["AppIssue", "check_app_yaml", "validate_app_yaml"]

_PORT_FORMS = "[IP:]HOST:CONTAINER[/tcp|/udp][:LABEL] or [IP:]HOST:CONTAINER[:LABEL][:tcp|:udp]"


@dataclass(frozen=True)
class AppIssue:
    """One problem of an /app YAML."""

    line: int | None
    path: str
    """Where in the document: ``services.web.ports[0]`` (empty for the whole document)."""
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        path = f"{self.path}: " if self.path else ""
        return f"{where}{path}{self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "path": self.path, "message": self.message}


def _path_text(path: Iterable[object]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _child(node: Node | None, part: object) -> tuple[Node | None, int | None]:
    """The child node at ``part`` and the line of its key (for mappings) or of the item."""
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if isinstance(key, ScalarNode) and key.value == str(part):
                return value, line_of(key)
    if isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
        item = node.value[part]
        return item, line_of(item)
    return None, None


def _locate(root: Node, path: Sequence[object]) -> tuple[Node | None, int | None]:
    node: Node | None = root
    line: int | None = line_of(root)
    for part in path:
        node, found = _child(node, part)
        if found is None:
            break
        line = found
    return node, line


def _key_line(node: Node | None, key: str) -> int | None:
    _value, line = _child(node, key)
    return line


def _issues(error: ValidationError, root: Node) -> list[AppIssue]:
    path = list(error.absolute_path)
    node, line = _locate(root, path)
    where = _path_text(path)
    kind = error.validator
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = [key for key in error.instance if key not in allowed]
        return [
            AppIssue(_key_line(node, key) or line, where, f"unknown key {key!r}") for key in extra
        ]
    if kind == "required":
        missing = [key for key in error.validator_value if key not in error.instance]
        return [AppIssue(line, where, f"missing {key}:") for key in missing]
    if kind == "propertyNames" or "propertyNames" in list(error.relative_schema_path):
        name = str(error.instance)
        return [
            AppIssue(
                _key_line(node, name) or line,
                where,
                f"name {name!r} may hold only letters, digits, '_' and '-'",
            )
        ]
    if kind in ("oneOf", "anyOf") and isinstance(error.instance, dict) and error.context:
        # the mapping branch explains best: skip the branches that wanted another type
        relevant = [sub for sub in error.context if sub.validator != "type"]
        if relevant:
            return [issue for sub in relevant for issue in _issues(sub, root)]
    if kind in ("oneOf", "anyOf") and "ports" in path[-2:-1]:
        return [AppIssue(line, where, f"bad port {error.instance!r}: use {_PORT_FORMS}")]
    if kind == "enum":
        choices = ", ".join(str(choice) for choice in error.validator_value)
        return [AppIssue(line, where, f"{error.instance!r} is not one of: {choices}")]
    if kind == "type":
        wanted = error.validator_value
        wanted_text = " or ".join(wanted) if isinstance(wanted, list) else str(wanted)
        return [AppIssue(line, where, f"must be {wanted_text}, not {error.instance!r}")]
    if kind == "minProperties":
        return [AppIssue(line, where, "needs at least one entry")]
    if kind in ("oneOf", "anyOf"):
        return [AppIssue(line, where, f"{error.instance!r} has none of the allowed forms")]
    return [AppIssue(line, where, error.message)]


def validate_app_yaml(
    text: str,
    *,
    router_version: RouterOSVersion | str | None = None,
    source: str = "",
) -> list[AppIssue]:
    """Every problem of ``text`` as an /app YAML for ``router_version``, sorted by line.

    Raises UnsupportedError when that version has no ``/app/add``, and YamlError for YAML that
    cannot be read at all.
    """
    schema = app_schema(router_version)
    root = compose(text, source=source)
    if root is None:
        return [AppIssue(None, "", "the file is empty: an /app YAML needs services:")]
    validator = Draft7Validator(schema)
    issues: list[AppIssue] = []
    for error in validator.iter_errors(to_python(root)):
        issues.extend(_issues(error, root))
    return sorted(set(issues), key=lambda issue: (issue.line or 0, issue.path, issue.message))


def check_app_yaml(
    text: str,
    *,
    router_version: RouterOSVersion | str | None = None,
    source: str = "",
) -> None:
    """Raise :class:`YamlError` for the first problem of ``text`` (naming how many there are)."""
    issues = validate_app_yaml(text, router_version=router_version, source=source)
    if issues:
        first = issues[0]
        more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
        path = f"{first.path}: " if first.path else ""
        raise YamlError(
            f"not a valid /app YAML: {path}{first.message}{more}",
            line=first.line,
            source=source,
            hint="run `mikrodock app validate FILE` to see every problem",
        )
