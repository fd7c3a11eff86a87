"""``POST /rest/execute``: a small subset of the RouterOS scripting language.

What the simulator runs, statement by statement (separated by newlines or ``;``):

* ``:put VALUE`` prints a word, a number or a quoted string;
* ``:log info|warning|error|debug "text"`` adds a ``/log`` entry;
* ``/menu/path command key=value ...`` (or ``/menu path command``) runs a menu command the way
  ``POST /rest/menu/path/command`` does; words without ``=`` after the command are its
  positional arguments (``get``: ``value-name``, or ``number`` and ``value-name`` on lists;
  other commands: ``numbers``);
* ``[ /menu/command ... ]`` inside a statement is replaced by what the command returns
  (``:put [/system/identity/get name]``); ``find where key=value ...`` gives the matching ids
  (``/container/start [find where name=web]``).

Like RouterOS, the request answers 200 with ``{"ret": ...}`` even when a statement fails: the
error text, with the statement and line, is the ``ret``.
"""

from __future__ import annotations

import re
import shlex
from typing import TYPE_CHECKING, Any

from mikrodock.sim.base import RestError

if TYPE_CHECKING:
    from mikrodock.sim.engine import Engine as Rest

__all__ = ["run"]

_LOG_LEVELS = ("info", "warning", "error", "debug")
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")


def _statements(script: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for number, line in enumerate(script.splitlines(), start=1):
        for part in _split_semicolons(line):
            if part.strip() and not part.strip().startswith("#"):
                out.append((number, part.strip()))
    return out


def _split_semicolons(line: str) -> list[str]:
    parts, current, quoted = [], "", False
    for char in line:
        if char == '"':
            quoted = not quoted
        if char == ";" and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _words(statement: str) -> list[str]:
    try:
        return shlex.split(statement, posix=True)
    except ValueError as error:
        raise RestError(400, f"syntax error ({error})") from error


async def run(rest: Rest, script: str) -> str:
    """Run ``script``; the text RouterOS would give back in ``ret``."""
    output: list[str] = []
    for line, statement in _statements(script):
        try:
            result = await _run_statement(rest, statement)
        except RestError as error:
            command = statement.split()[0] if statement.split() else statement
            return f"{error.detail or error.message} ({command}; line {line})"
        if result is not None:
            output.append(result)
    return "\n".join(output)


def _menu_of(before: str) -> str:
    """The menu a statement's command belongs to: ``/ip/address/set`` -> ``/ip/address``."""
    words = [w for w in before.split() if "=" not in w]
    if len(words) > 1:
        return " ".join(words[:-1])
    return words[0].rsplit("/", 1)[0] if words else ""


async def _substitute(rest: Rest, statement: str) -> str:
    """Replace each innermost ``[ /menu/command ... ]`` by the (quoted) value it returns."""
    while True:
        match = _BRACKETS.search(statement)
        if match is None:
            return statement
        inner = match.group(1).strip()
        if not inner.startswith("/"):  # [find ...] is relative to the statement's menu
            inner = f"{_menu_of(statement[: match.start()])} {inner}"
        value = await _run_command(rest, _words(inner)) if inner.startswith("/") else ""
        statement = statement[: match.start()] + shlex.quote(value or "") + statement[match.end() :]


async def _run_statement(rest: Rest, statement: str) -> str | None:
    words = _words(await _substitute(rest, statement))
    if not words:
        return None
    head = words[0]
    if head == ":put":
        return " ".join(words[1:])
    if head == ":log":
        if len(words) < 3 or words[1] not in _LOG_LEVELS:
            raise RestError(400, 'syntax error: use :log info "text"')
        rest.router.log(f"script,{words[1]}", " ".join(words[2:]))
        rest.router.state.touch()
        return None
    if head.startswith("/"):
        await _run_command(rest, words)
        return None
    raise RestError(400, f"bad command name {head}")


def _split_path(rest: Rest, words: list[str]) -> tuple[str, str, list[str], dict[str, Any]]:
    """``/system identity get name`` -> (``system/identity``, ``get``, [``name``], {})."""
    available = rest.router.available
    tokens = [part for part in words[0].split("/") if part]
    tail = list(words[1:])
    while tail and "=" not in tail[0] and available("/".join([*tokens, tail[0]])):
        tokens.append(tail.pop(0))
    if available("/".join(tokens)):
        if not tail or "=" in tail[0]:
            raise RestError(400, "no such command")
        menu, command = "/".join(tokens), tail.pop(0)
    else:
        menu, command = "/".join(tokens[:-1]), tokens[-1] if tokens else ""
        if not menu or not available(menu):
            raise RestError(400, f"bad command name {tokens[0] if tokens else ''}")
    positional = [w for w in tail if "=" not in w]
    args = dict(w.split("=", 1) for w in tail if "=" in w)
    return menu, command, positional, args


async def _run_command(rest: Rest, words: list[str]) -> str | None:
    """Run one CLI command; the value it returns (``get``'s value, an add's id), if any."""
    menu, command, positional, args = _split_path(rest, words)
    if command == "find":  # [find where key=value ...]: the matching ids, comma separated
        spec = rest.spec(menu)
        if spec.kind != "list" or [w for w in positional if w != "where"]:
            raise RestError(400, "syntax error: use find where key=value")
        found = rest.items(spec)
        return ",".join(i[".id"] for i in found if all(i.get(k) == v for k, v in args.items()))
    singleton = rest.spec(menu).kind == "singleton"
    names = (
        ["value-name"]
        if command == "get" and singleton
        else (["number", "value-name"] if command == "get" else ["numbers"])
    )
    for name, value in zip(names, positional, strict=False):
        args.setdefault(name, value)
    if len(positional) > len(names):
        raise RestError(400, f"expected end of command (line 1 column {len(words[0]) + 2})")
    result = await rest.command(menu, command, args)
    if isinstance(result, dict) and "ret" in result:
        return str(result["ret"])
    return None
