"""``POST /rest/execute``: a small subset of the RouterOS scripting language.

What the simulator runs, statement by statement (separated by newlines or ``;``):

* ``:put VALUE`` prints a word, a number or a quoted string;
* ``:log info|warning|error|debug "text"`` adds a ``/log`` entry;
* ``/menu/path command key=value ...`` (or ``/menu path command``) runs a menu command the way
  ``POST /rest/menu/path/command`` does.

Like RouterOS, the request answers 200 with ``{"ret": ...}`` even when a statement fails: the
error text, with the statement and line, is the ``ret``.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Any

from mikrodock.sim.base import RestError

if TYPE_CHECKING:
    from mikrodock.sim.rest import Rest

__all__ = ["run"]

_LOG_LEVELS = ("info", "warning", "error", "debug")


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


async def _run_statement(rest: Rest, statement: str) -> str | None:
    words = _words(statement)
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
        return await _run_command(rest, words)
    raise RestError(400, f"bad command name {head}")


async def _run_command(rest: Rest, words: list[str]) -> str | None:
    path = [part for part in words[0].split("/") if part]
    args: dict[str, Any] = {}
    for word in words[1:]:
        if "=" in word:
            key, _, value = word.partition("=")
            args[key] = value
        elif args:
            raise RestError(400, f"expected key=value, got {word}")
        else:
            path.append(word)
    if len(path) < 2:
        raise RestError(400, "bad command name")
    menu, command = "/".join(path[:-1]), path[-1]
    if not rest.router.available(menu):
        raise RestError(400, f"bad command name {path[0]}")
    await rest.command(menu, command, args)
    return None
