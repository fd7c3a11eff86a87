"""RouterOS print queries and property lists, as the API manual describes them.

The same words filter the binary API's ``print`` (``?name=x`` sentence words, without their
``?``) and REST's ``POST .../print`` (``{".query": ["name=x", ...]}``). A query is a stack
program, one word at a time:

* ``name=x`` (also ``=name=x``): pushes whether the record's ``name`` equals ``x``;
* ``name``: whether the record has ``name``; ``-name``: whether it lacks it;
* ``<name=x`` / ``>name=x`` (also spelled ``name<x`` / ``name>x``): less / greater than,
  compared as integers when both sides are, else as text; false when ``name`` is missing;
* ``#`` followed by operations, one character each: ``|`` and ``&`` pop two values and push
  their OR / AND, ``!`` negates the top, ``.`` pushes a copy of the top, and a run of digits
  ``N`` pushes a copy of the value at position N.

A record matches when every value left on the stack is true (no words: every record).
``.proplist`` (``"a,b"`` or a list) keeps only the named properties of each record.

Pure functions, used by the client side and the simulator alike; a malformed query raises
:class:`QueryError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from mikrodock.routeros.api_codec import ProtocolError

__all__ = [
    "Predicate",
    "QueryError",
    "apply_proplist",
    "compile_query",
    "matches",
    "parse_proplist",
]

Predicate = Callable[[Mapping[str, str]], bool]
"""Whether one record (property name -> text) passes a query."""


class QueryError(ProtocolError):
    """A query that is not one: an operation without values, an unknown operation, an empty
    word."""


def _compare(left: str, right: str) -> int:
    if left.lstrip("-").isdigit() and right.lstrip("-").isdigit():
        a, b = int(left), int(right)
        return (a > b) - (a < b)
    return (left > right) - (left < right)


def _order(name: str, value: str, sign: int) -> Predicate:
    return lambda record: name in record and _compare(record[name], value) == sign


def _equals(name: str, value: str) -> Predicate:
    return lambda record: record.get(name) == value


def _has(name: str) -> Predicate:
    return lambda record: name in record


def _lacks(name: str) -> Predicate:
    return lambda record: name not in record


def _word(word: str) -> Predicate:
    """The test one word pushes (``word`` without the API's ``?``)."""
    if word[:1] in ("<", ">"):
        name, sep, value = word[1:].partition("=")
        if not sep or not name:
            raise QueryError(f"invalid query word {word!r}")
        return _order(name, value, -1 if word[0] == "<" else 1)
    if word.startswith("-") and len(word) > 1:
        return _lacks(word[1:])
    name, sep, value = word.removeprefix("=").partition("=")
    if sep:
        if not name:
            raise QueryError(f"invalid query word {word!r}")
        return _equals(name, value)
    for op in ("<", ">"):  # the spelling name<x / name>x
        left, sep, right = word.partition(op)
        if sep and left:
            return _order(left, right, -1 if op == "<" else 1)
    if not word or word[0] in "#<>=":
        raise QueryError(f"invalid query word {word!r}")
    return _has(word)


def _not(inner: Predicate) -> Predicate:
    return lambda record: not inner(record)


def _both(left: Predicate, right: Predicate, either: bool) -> Predicate:
    if either:
        return lambda record: left(record) or right(record)
    return lambda record: left(record) and right(record)


def _operate(word: str, stack: list[Predicate]) -> None:
    ops = word[1:]
    if not ops:
        raise QueryError("empty query operation '#'")
    at = 0
    while at < len(ops):
        op = ops[at]
        if op.isdigit():
            end = at
            while end < len(ops) and ops[end].isdigit():
                end += 1
            index = int(ops[at:end])
            if index >= len(stack):
                raise QueryError(f"query operation {word!r}: no value at position {index}")
            stack.append(stack[index])
            at = end
            continue
        if op in "|&":
            if len(stack) < 2:
                raise QueryError(f"query operation {op!r} needs two values on the stack")
            right, left = stack.pop(), stack.pop()
            stack.append(_both(left, right, op == "|"))
        elif op in "!.":
            if not stack:
                raise QueryError(f"query operation {op!r} on an empty stack")
            stack.append(_not(stack.pop()) if op == "!" else stack[-1])
        else:
            raise QueryError(f"unknown query operation {op!r}")
        at += 1


def compile_query(words: Iterable[str] | str | None) -> Predicate:
    """The predicate a list of query words means; :class:`QueryError` if it is malformed.

    Words may keep the API's leading ``?``; a single string is one word; None (or no words)
    matches every record.
    """
    if words is None:
        return lambda record: True
    if isinstance(words, str):
        words = [words]
    stack: list[Predicate] = []
    for raw in words:
        word = str(raw).removeprefix("?")
        if word.startswith("#"):
            _operate(word, stack)
        else:
            stack.append(_word(word))
    if not stack:
        return lambda record: True
    if len(stack) == 1:
        return stack[0]
    tests = tuple(stack)
    return lambda record: all(test(record) for test in tests)


def matches(queries: Sequence[str], record: Mapping[str, str]) -> bool:
    """Whether ``record`` passes the query words."""
    return compile_query(queries)(record)


def parse_proplist(value: object) -> list[str] | None:
    """``"a,b"`` or ``["a", "b"]`` -> ``["a", "b"]``; None for no (or an empty) proplist:
    every property."""
    if value is None or value == "":
        return None
    parts = value if isinstance(value, list | tuple) else str(value).split(",")
    names = [str(part).strip() for part in parts if str(part).strip()]
    return names or None


def apply_proplist(record: dict[str, str], proplist: Sequence[str] | None) -> dict[str, str]:
    """The record with only the properties ``proplist`` names (the record itself for None)."""
    if proplist is None:
        return record
    return {key: record[key] for key in proplist if key in record}
