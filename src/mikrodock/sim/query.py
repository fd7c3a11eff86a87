"""``.proplist`` and ``.query`` of RouterOS print, over items that are string dicts.

``.query`` is a stack program, one word at a time:

* ``key=value``: true when the item's ``key`` equals ``value``;
* ``key``: true when the item has ``key``; ``-key``: true when it lacks it;
* ``key<value`` / ``key>value`` (or the API's ``<key=value``): compared as integers when
  both sides are, else as text;
* ``#|`` / ``#&``: pop two results, push their OR / AND; ``#!``: negate the top;
  several operators may follow one ``#`` (``#|!``), and a number ``#3`` pushes a copy of the
  entry at that position.

Whatever is left on the stack is ANDed. A word may carry the API's leading ``?``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from mikrodock.sim.base import bad_request
from mikrodock.sim.state import Item

__all__ = ["apply_proplist", "compile_query", "parse_proplist"]

Predicate = Callable[[Item], bool]


def parse_proplist(value: object) -> list[str] | None:
    """``"a,b"`` or ``["a","b"]`` -> ``["a","b"]``; None for no proplist."""
    if value is None or value == "":
        return None
    parts = value if isinstance(value, list) else str(value).split(",")
    return [str(part).strip() for part in parts if str(part).strip()]


def apply_proplist(item: Item, proplist: Sequence[str] | None) -> Item:
    if proplist is None:
        return item
    return {key: item[key] for key in proplist if key in item}


def _compare(left: str, right: str) -> int:
    try:
        a: int | str = int(left)
        b: int | str = int(right)
    except ValueError:
        a, b = left, right
    return (a > b) - (a < b)  # type: ignore[operator]


def _match(op: str, key: str, value: str) -> Predicate:
    sign = -1 if op == "<" else 1

    def predicate(item: Item) -> bool:
        if op == "=":
            return item.get(key) == value
        return key in item and _compare(item[key], value) == sign

    return predicate


def _has(key: str) -> Predicate:
    return lambda item: key in item


def _lacks(key: str) -> Predicate:
    return lambda item: key not in item


def _not(inner: Predicate) -> Predicate:
    return lambda item: not inner(item)


def _both(left: Predicate, right: Predicate, either: bool) -> Predicate:
    if either:
        return lambda item: left(item) or right(item)
    return lambda item: left(item) and right(item)


def _word(word: str) -> Predicate:
    if word[:1] in ("<", ">") and "=" in word:  # the API's own spelling: <key=value
        key, _, value = word[1:].partition("=")
        word = f"{key}{word[0]}{value}"
    for op in ("=", "<", ">"):
        if op in word:
            key, _, value = word.partition(op)
            if not key:
                break
            return _match(op, key, value)
    if word.startswith("-") and len(word) > 1:
        return _lacks(word[1:])
    if word and word[0] not in "#<>=":
        return _has(word)
    raise bad_request(f"invalid query word {word!r}")


def _operators(word: str, stack: list[Predicate]) -> None:
    ops = word[1:]
    if ops.isdigit():
        index = int(ops)
        if index >= len(stack):
            raise bad_request(f"query word {word!r} refers past the stack")
        stack.append(stack[index])
        return
    for op in ops:
        if op == "!":
            if not stack:
                raise bad_request("query '#!' on an empty stack")
            top = stack.pop()
            stack.append(_not(top))
        elif op in "|&":
            if len(stack) < 2:
                raise bad_request(f"query '#{op}' needs two entries on the stack")
            right, left = stack.pop(), stack.pop()
            stack.append(_both(left, right, op == "|"))
        else:
            raise bad_request(f"invalid query operator {op!r} in {word!r}")


def compile_query(words: Iterable[str] | str | None) -> Predicate:
    """The predicate a ``.query`` word list means (400 on a malformed word)."""
    if words is None:
        return lambda item: True
    if isinstance(words, str):
        words = [words]
    stack: list[Predicate] = []
    for raw in words:
        word = str(raw)
        if word.startswith("?"):
            word = word[1:]
        if word.startswith("#"):
            _operators(word, stack)
        else:
            stack.append(_word(word))
    return lambda item: all(predicate(item) for predicate in stack)
