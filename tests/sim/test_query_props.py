"""Property tests for print's ``.query`` (client input) and the simulator's public names."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mikrodock.sim
from mikrodock.sim.base import RestError
from mikrodock.sim.query import apply_proplist, compile_query, parse_proplist

KEYS = st.sampled_from(["name", "comment", "disabled", "mtu"])
VALUES = st.sampled_from(["a", "b", "true", "false", "10", "9", ""])
ITEMS = st.lists(st.dictionaries(KEYS, VALUES, max_size=4), max_size=8)


@settings(deadline=None)  # no timing in tests: a loaded CI box is slow
@given(items=ITEMS, key=KEYS, value=VALUES)
def test_equality_word_keeps_exactly_the_matching_items(
    items: list[dict[str, str]], key: str, value: str
) -> None:
    keep = compile_query([f"{key}={value}"])
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
    neither = compile_query([first, second, "#|", "#!"])
    for item in items:
        p, q = item.get(a) == x, item.get(b) == y
        assert either(item) == (p or q)
        assert both(item) == implicit(item) == (p and q)
        assert neither(item) == (not (p or q))


@settings(deadline=None)  # no timing in tests: a loaded CI box is slow
@given(items=ITEMS, key=KEYS)
def test_presence_words(items: list[dict[str, str]], key: str) -> None:
    has, lacks = compile_query([key]), compile_query([f"-{key}"])
    for item in items:
        assert has(item) == (key in item) != lacks(item)


@settings(deadline=None)  # no timing in tests: a loaded CI box is slow
@given(items=ITEMS, value=st.integers(-5, 20))
def test_numeric_comparisons(items: list[dict[str, str]], value: int) -> None:
    below = compile_query([f"mtu<{value}"])
    api_spelling = compile_query([f"<mtu={value}"])
    for item in items:
        expected = "mtu" in item and item["mtu"].isdigit() and int(item["mtu"]) < value
        if "mtu" in item and item["mtu"].isdigit():
            assert below(item) == api_spelling(item) == expected


@pytest.mark.parametrize("words", [["#|"], ["#!"], ["name=a", "#&"], ["#9"], ["="], ["#x"]])
def test_malformed_queries_are_400(words: list[str]) -> None:
    with pytest.raises(RestError) as caught:
        compile_query(words)
    assert caught.value.status == 400


@settings(deadline=None)  # no timing in tests: a loaded CI box is slow
@given(st.lists(KEYS, max_size=5))
def test_proplist_keeps_only_asked_keys(keys: list[str]) -> None:
    item = {"name": "x", "comment": "c", ".id": "*1"}
    shown = apply_proplist(item, parse_proplist(",".join(keys)))
    assert set(shown) == set(keys) & set(item) if keys else shown == item


def test_public_names() -> None:
    assert set(mikrodock.sim.__all__) == {
        "CANDIDATES",
        "Delays",
        "Fault",
        "Simulator",
        "parse_candidate",
        "parse_fault",
        "running",
    }
