"""Property tests for print queries and property lists (outside input: the API's ``?`` words
and REST's ``.query``), one implementation for the client side and the simulator."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mikrodock.routeros.api_query import (
    QueryError,
    apply_proplist,
    compile_query,
    matches,
    parse_proplist,
)

KEYS = st.sampled_from(["name", "comment", "disabled", "mtu"])
VALUES = st.sampled_from(["a", "b", "true", "false", "10", "9", "-3", ""])
ITEMS = st.lists(st.dictionaries(KEYS, VALUES, max_size=4), max_size=8)


@settings(deadline=None)  # no timing in tests: a loaded CI box is slow
@given(items=ITEMS, key=KEYS, value=VALUES)
def test_equality_word_keeps_exactly_the_matching_items(
    items: list[dict[str, str]], key: str, value: str
) -> None:
    for spelling in (f"{key}={value}", f"?{key}={value}", f"={key}={value}"):
        keep = compile_query([spelling])
        assert [i for i in items if keep(i)] == [i for i in items if i.get(key) == value]


@settings(deadline=None)  # no timing in tests: a loaded CI box is slow
@given(items=ITEMS, a=KEYS, b=KEYS, x=VALUES, y=VALUES)
def test_or_and_not_combine_like_boolean_logic(
    items: list[dict[str, str]], a: str, b: str, x: str, y: str
) -> None:
    first, second = f"{a}={x}", f"{b}={y}"
    either = compile_query([first, second, "#|"])
    both = compile_query([first, second, "#&"])
    implicit = compile_query([first, second])
    neither = compile_query([first, second, "#|!"])
    copied = compile_query([first, "#.", "#&"])
    indexed = compile_query([first, second, "#0", "#|&"])
    for item in items:
        p, q = item.get(a) == x, item.get(b) == y
        assert either(item) == (p or q)
        assert both(item) == implicit(item) == (p and q)
        assert neither(item) == (not (p or q))
        assert copied(item) == p
        assert indexed(item) == (p and (q or p))
        assert matches([first, second, "#|"], item) == (p or q)


@settings(deadline=None)  # no timing in tests: a loaded CI box is slow
@given(items=ITEMS, key=KEYS)
def test_presence_words(items: list[dict[str, str]], key: str) -> None:
    has, lacks = compile_query([key]), compile_query([f"-{key}"])
    for item in items:
        assert has(item) == (key in item) != lacks(item)


@settings(deadline=None)  # no timing in tests: a loaded CI box is slow
@given(items=ITEMS, value=st.integers(-5, 20))
def test_numeric_comparisons(items: list[dict[str, str]], value: int) -> None:
    below, above = compile_query([f"mtu<{value}"]), compile_query([f">mtu={value}"])
    api_below = compile_query([f"<mtu={value}"])
    for item in items:
        mtu = item.get("mtu", "")
        if mtu.lstrip("-").isdigit():
            assert below(item) == api_below(item) == (int(mtu) < value)
            assert above(item) == (int(mtu) > value)
        elif "mtu" not in item:
            assert not below(item) and not above(item)


@pytest.mark.parametrize(
    "words", [["#|"], ["#!"], ["name=a", "#&"], ["#9"], ["="], ["#x"], ["#"], ["<mtu"]]
)
def test_malformed_queries_are_refused(words: list[str]) -> None:
    with pytest.raises(QueryError):
        compile_query(words)


@settings(deadline=None)  # no timing in tests: a loaded CI box is slow
@given(st.lists(st.text(max_size=6), max_size=6))
def test_any_words_compile_or_are_refused_cleanly(words: list[str]) -> None:
    try:
        keep = compile_query(words)
    except QueryError:
        return
    assert keep({"name": "x", "mtu": "1500"}) in (True, False)


@settings(deadline=None)  # no timing in tests: a loaded CI box is slow
@given(st.lists(KEYS, max_size=5), st.booleans())
def test_proplist_keeps_only_asked_keys(keys: list[str], as_list: bool) -> None:
    item = {"name": "x", "comment": "c", ".id": "*1"}
    shown = apply_proplist(item, parse_proplist(keys if as_list else ",".join(keys)))
    assert set(shown) == set(keys) & set(item) if keys else shown == item
