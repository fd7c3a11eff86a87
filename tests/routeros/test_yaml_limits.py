"""YAML bombs and oddities are refused before a tree is built, naming the line at fault."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mikrodock.routeros.yaml_limits import (
    MAX_ALIAS_NODES,
    MAX_BYTES,
    MAX_DEPTH,
    check_yaml,
)
from mikrodock.routeros.yaml_nodes import YamlError, compose, to_python

LAUGHS = "\n".join(
    [
        'a: &a ["l","l","l","l","l","l","l","l","l"]',
        *(
            f"{name}: &{name} [{','.join([f'*{prev}'] * 9)}]"
            for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)


def test_alias_bomb_is_refused_with_its_line() -> None:
    limit = check_yaml(LAUGHS)
    assert limit is not None and "alias" in limit.message
    assert limit.line is not None and 2 <= limit.line <= 9
    with pytest.raises(YamlError, match="aliases expand"):
        compose(LAUGHS, source="bomb.yaml")


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 2000, 50_000])
def test_deep_flow_nesting_is_refused(depth: int) -> None:
    with pytest.raises(YamlError, match="nesting deeper"):
        compose("x: " + "[" * depth + "]" * depth)


def test_deep_block_nesting_is_refused() -> None:
    text = "".join(f"{'  ' * level}k{level}:\n" for level in range(MAX_DEPTH + 5))
    with pytest.raises(YamlError, match="nesting deeper"):
        compose(text)


def test_nesting_at_the_limit_is_read() -> None:
    depth = MAX_DEPTH - 1
    assert compose("[" * depth + "]" * depth) is not None


def test_too_large_is_refused() -> None:
    with pytest.raises(YamlError, match="over"):
        compose("a: " + "x" * MAX_BYTES)


def test_duplicate_keys_are_refused() -> None:
    text = "services:\n  web:\n    image: a\n  web:\n    image: b\n"
    with pytest.raises(YamlError, match="'web' appears twice") as caught:
        compose(text)
    assert caught.value.line == 4


def test_brackets_in_strings_and_comments_do_not_count() -> None:
    many = "[" * (MAX_DEPTH + 5)
    text = f"a: '{many}'\nb: \"{many}\"\n# {many}\nc: [1, [2]]\n"
    assert check_yaml(text) is None


def test_same_key_in_different_mappings_is_fine() -> None:
    assert check_yaml("a: {x: 1}\nb: {x: 2}\nc: [{x: 1}, {x: 1}]\n") is None


def test_a_few_aliases_are_fine() -> None:
    text = "x: &x {image: nginx}\na: *x\nb: *x\nc:\n  <<: *x\n  ports: [80]\n"
    assert check_yaml(text) is None


def test_aliases_just_under_the_budget_are_fine() -> None:
    items = ", ".join(["1"] * 1000)
    text = f"a: &a [{items}]\n" + "".join(f"b{n}: *a\n" for n in range(MAX_ALIAS_NODES // 1002))
    assert check_yaml(text) is None


def test_merge_keys_explicit_wins_and_merged_come_first() -> None:
    keys = "\n".join(f"  k{n}: {n}" for n in range(400))
    mine = "\n".join(f"  k{n}: x" for n in range(200, 600))
    node = compose(f"base: &b\n{keys}\nother:\n  <<: *b\n{mine}\n")
    assert node is not None
    other = dict(to_python(node))["other"]  # type: ignore[call-overload]
    assert list(other)[:2] == ["k0", "k1"] and len(other) == 600
    assert other["k199"] == 199 and other["k200"] == "x"


@given(st.text(max_size=200))
def test_check_never_raises(text: str) -> None:
    limit = check_yaml(text)
    assert limit is None or limit.message


def test_an_alias_inside_its_own_node_is_refused() -> None:
    with pytest.raises(YamlError, match="contains it"):
        compose("a: &a [1, *a]\n")
