"""Variable interpolation of compose files and the ``.env`` file format.

Interpolation follows the compose specification: ``$VAR`` and ``${VAR}``, ``${VAR:-default}``
(unset or empty), ``${VAR-default}`` (unset), ``${VAR:?message}`` / ``${VAR?message}`` (an
error), ``${VAR:+other}`` / ``${VAR+other}`` (replacement when set), defaults that interpolate
again, and ``$$`` for a literal ``$``. Unlike Docker Compose, a variable that is not set and has no
default is an error, not an empty string: a silently empty password or image tag is worse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["InterpolationError", "interpolate", "parse_dotenv"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class InterpolationError(ValueError):
    """A ``$`` expression that is malformed or names an unset variable (no line: callers add it)."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


def _closing_brace(text: str, start: int) -> int:
    """The index of the ``}`` that closes the ``${`` whose body starts at ``start``."""
    depth = 1
    index = start
    while index < len(text):
        if text.startswith("$$", index):
            index += 2
            continue
        if text.startswith("${", index):
            depth += 1
            index += 2
            continue
        if text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    raise InterpolationError(
        f"unclosed ${{ in {text!r}", hint="close it with }, or write $$ for a literal $"
    )


def _braced(body: str, env: Mapping[str, str], strict: bool) -> str:
    match = _NAME.match(body)
    if match is None:
        raise InterpolationError(
            f"invalid variable expression ${{{body}}}",
            hint="use ${NAME}, ${NAME:-default} or ${NAME:?message}; write $$ for a literal $",
        )
    name = match.group()
    rest = body[match.end() :]
    value = env.get(name)
    if not rest:
        return _lookup(name, value, strict)
    for operator in (":-", "-", ":?", "?", ":+", "+"):
        if rest.startswith(operator):
            argument = rest[len(operator) :]
            break
    else:
        raise InterpolationError(
            f"invalid variable expression ${{{body}}}",
            hint="after the name use :-, -, :?, ?, :+ or +",
        )
    unset_or_empty = value is None or (operator.startswith(":") and value == "")
    if operator in (":-", "-"):
        return interpolate(argument, env, strict=strict) if unset_or_empty else str(value)
    if operator in (":?", "?"):
        if unset_or_empty:
            reason = interpolate(argument, env, strict=False) or f"variable {name} is not set"
            raise InterpolationError(
                f"{reason} (${{{name}{operator}...}})",
                hint=f"set {name} in the environment or in .env",
            )
        return str(value)
    return "" if unset_or_empty else interpolate(argument, env, strict=strict)


def _lookup(name: str, value: str | None, strict: bool) -> str:
    if value is None:
        if strict:
            raise InterpolationError(
                f"variable {name} is not set",
                hint=f"set {name} in the environment or in .env, or give a default: "
                f"${{{name}:-value}}",
            )
        return ""
    return value


def interpolate(text: str, env: Mapping[str, str], *, strict: bool = True) -> str:
    """``text`` with its ``$`` expressions replaced from ``env``.

    With ``strict`` (the default) an unset variable without a default is an error.
    """
    if "$" not in text:
        return text
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char != "$":
            out.append(char)
            index += 1
            continue
        if text.startswith("$$", index):
            out.append("$")
            index += 2
            continue
        if text.startswith("${", index):
            end = _closing_brace(text, index + 2)
            out.append(_braced(text[index + 2 : end], env, strict))
            index = end + 1
            continue
        match = _NAME.match(text, index + 1)
        if match is None:
            raise InterpolationError(
                f"a lone $ in {text!r}", hint="write $$ for a literal $, or ${NAME} for a variable"
            )
        out.append(_lookup(match.group(), env.get(match.group()), strict))
        index = match.end()
    return "".join(out)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$$"}


def _unquote_double(text: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(text):
        if text[index] == "\\" and index + 1 < len(text) and text[index + 1] in _ESCAPES:
            out.append(_ESCAPES[text[index + 1]])
            index += 2
            continue
        out.append(text[index])
        index += 1
    return "".join(out)


def parse_dotenv(text: str, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Read a ``.env``/``env_file``: ``KEY=VALUE`` lines, ``export`` allowed, ``#`` comments,
    single quotes literal, double quotes with ``\\n``-style escapes; unquoted and double-quoted
    values interpolate ``${VAR}`` from earlier lines and ``env`` (unset gives empty).

    Raises InterpolationError naming the line for a line that is not ``KEY=VALUE``.
    """
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not _NAME.fullmatch(key):
            raise InterpolationError(
                f"line {number}: expected KEY=VALUE, got {raw!r}", hint="fix or remove the line"
            )
        if not sep:
            continue  # a bare KEY: nothing to set
        value = value.strip()
        scope = {**(env or {}), **values}
        if len(value) >= 2 and value[0] == value[-1] == "'":
            values[key] = value[1:-1]
        elif len(value) >= 2 and value[0] == value[-1] == '"':
            values[key] = interpolate(_unquote_double(value[1:-1]), scope, strict=False)
        else:
            value = re.split(r"\s+#", value, maxsplit=1)[0].rstrip()
            values[key] = interpolate(value, scope, strict=False)
    return values
