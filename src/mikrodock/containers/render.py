"""Plans as text: a RouterOS CLI script a user can paste, or the REST calls as JSON.

The JSON form lists ``{"method", "path", "body"}`` with paths relative to ``/rest``; an ``.id``
that only exists once an earlier step ran is written ``{.id of <key>}``. The script form finds such
objects again with ``[find ...]`` on the fields that identify them. Passwords are never printed:
both forms show ``********`` in their place.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from mikrodock.containers.steps import Plan, Ref, Step, Value
from mikrodock.routeros.dialect import Dialect
from mikrodock.routeros.version import RouterOSVersion

__all__ = ["quote", "to_json", "to_rest", "to_script"]

_BARE = re.compile(r"^[A-Za-z0-9_.,/*+@-]+$")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "$": "\\$", "?": "\\?", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def quote(value: str) -> str:
    """A RouterOS CLI value: bare when safe, else double-quoted with RouterOS escapes."""
    if value and _BARE.match(value):
        return value
    return '"' + "".join(_ESCAPES.get(ch, ch) for ch in value) + '"'


def _find(ref: Ref) -> str:
    terms = " ".join(f"{key}={quote(value)}" for key, value in ref.find)
    return f"[find {terms}]"


def _value(value: Value) -> str:
    return _find(value) if isinstance(value, Ref) else quote(value)


SECRET_FIELDS = frozenset({"password"})
MASK = "********"


def _args(body: Mapping[str, Value]) -> str:
    return " ".join(
        f"{key}={quote(MASK) if key in SECRET_FIELDS else _value(value)}"
        for key, value in body.items()
    )


def _wait_line(step: Step, version: RouterOSVersion | None) -> str:
    assert isinstance(step.item, Ref)
    target = f"[/{step.menu} find {' '.join(f'{k}={quote(v)}' for k, v in step.item.find)}]"
    style = Dialect.for_version(version).state_style if version is not None else "flags"
    if style == "status":
        cond = f'[/{step.menu} get {target} status] = "extracting"'
    else:
        cond = f"[/{step.menu} get {target} extracting]"
    return f":while ({cond}) do={{ :delay 1s }}"


def _script_line(step: Step, version: RouterOSVersion | None) -> str:
    menu = f"/{step.menu}"
    if step.action == "add":
        return f"{menu} add {_args(step.body)}"
    if step.action == "set":
        item = f" {_value(step.item)}" if step.item is not None else ""
        return f"{menu} set{item} {_args(step.body)}"
    if step.action == "wait":
        return _wait_line(step, version)
    return f"{menu} {step.command} {_args(step.body)}".rstrip()


def to_script(plans: Sequence[Plan], version: RouterOSVersion | None = None) -> str:
    """The plans as a RouterOS script, one command a line, each preceded by why it is there."""
    lines: list[str] = []
    for plan in plans:
        details = ", ".join(f"{k} {v}" for k, v in plan.facts.items())
        lines.append(f"# mikrodock plan for {plan.name}" + (f" ({details})" if details else ""))
        for step in plan.steps:
            lines.append(f"# {step.why}")
            lines.append(_script_line(step, version))
    return "\n".join(lines) + "\n"


def _json_value(value: Value) -> str:
    return f"{{.id of {value.key}}}" if isinstance(value, Ref) else value


def to_rest(step: Step) -> dict[str, Any]:
    """One step as the REST call ``apply`` makes (ids of new objects as placeholders)."""
    body = {
        key: MASK if key in SECRET_FIELDS else _json_value(value)
        for key, value in step.body.items()
    }
    path = f"/{step.menu}"
    if step.action == "set":
        path += f"/{_json_value(step.item)}" if step.item is not None else "/set"
    elif step.action == "command":
        path += f"/{step.command}"
    elif step.action == "wait":
        path += f"/{_json_value(step.item) if step.item is not None else ''}"
        return {"method": "GET", "path": path, "until": body.get("until", "")}
    return {"method": step.method, "path": path, "body": body}


def to_json(plans: Sequence[Plan]) -> str:
    """The plans as ``[{"method": "PUT", "path": "/container", "body": {...}}, ...]``."""
    return json.dumps([to_rest(step) for plan in plans for step in plan.steps], indent=2)
