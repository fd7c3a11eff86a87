"""API query words (``?name=x``, ``?-name``, ``?<a=b``, ``?>a=b``, ``?#|&!.``) evaluated on one
record, as RouterOS's API manual describes them.

Each word pushes one truth value on a stack: ``name`` (has the property), ``-name`` (lacks it),
``name=x`` or ``=name=x`` (equals), ``<name=x`` / ``>name=x`` (less / greater; numbers as
numbers). A ``#`` word runs operations on the stack, one character each: ``|`` and ``&``
pop two values and push
their OR / AND, ``!`` negates the top, ``.`` pushes a copy of the top, a digit ``N`` pushes a
copy of the value at position N. A record matches when every value left is true (no words:
every record matches).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mikrodock.routeros.api_codec import ProtocolError

__all__ = ["matches"]


def _less(a: str, b: str) -> bool:
    if a.lstrip("-").isdigit() and b.lstrip("-").isdigit():
        return int(a) < int(b)
    return a < b


def _one(word: str, record: Mapping[str, str]) -> bool:
    if word.startswith("-"):
        return word[1:] not in record
    if word[:1] in ("<", ">"):
        name, sep, value = word[1:].partition("=")
        if not sep or name not in record:
            return False
        have = record[name]
        return _less(have, value) if word[0] == "<" else _less(value, have)
    name, sep, value = word.removeprefix("=").partition("=")  # ?name=x and ?=name=x
    if not sep:
        return name in record
    return record.get(name) == value


def _operate(ops: str, stack: list[bool]) -> None:
    for op in ops:
        if op in "|&":
            if len(stack) < 2:
                raise ProtocolError(f"query operation {op!r} needs two values on the stack")
            b, a = stack.pop(), stack.pop()
            stack.append((a or b) if op == "|" else (a and b))
        elif op == "!":
            if not stack:
                raise ProtocolError("query operation '!' on an empty stack")
            stack[-1] = not stack[-1]
        elif op == ".":
            if not stack:
                raise ProtocolError("query operation '.' on an empty stack")
            stack.append(stack[-1])
        elif op.isdigit():
            if int(op) >= len(stack):
                raise ProtocolError(f"query operation {op!r}: no such stack position")
            stack.append(stack[int(op)])
        else:
            raise ProtocolError(f"unknown query operation {op!r}")


def matches(queries: Sequence[str], record: Mapping[str, str]) -> bool:
    """Whether ``record`` passes the query words (without their ``?``)."""
    stack: list[bool] = []
    for word in queries:
        if word.startswith("#"):
            _operate(word[1:], stack)
        else:
            stack.append(_one(word, record))
    return all(stack)
