"""RouterOS strings convert to Python values at the model boundary, and back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mikrodock import UsageError
from mikrodock.routeros.values import (
    format_bool,
    format_duration,
    parse_bool,
    parse_duration,
    parse_int,
    parse_size,
)


def test_booleans_in_every_spelling_routeros_uses() -> None:
    assert parse_bool("true") and parse_bool("yes") and parse_bool(True)
    assert not parse_bool("false") and not parse_bool("no") and not parse_bool("")
    assert format_bool(True) == "yes"
    with pytest.raises(ValueError):
        parse_bool("maybe")


def test_unlimited_is_none() -> None:
    assert parse_int("unlimited") is None
    assert parse_int("1024") == 1024
    assert parse_size("unlimited") is None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1d2h3m2s", 93782),
        ("500ms", 0.5),
        ("00:01:30", 90),
        ("1w", 604800),
        ("30", 30),
        ("2d00:00:01", 172801),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@given(st.integers(0, 10**8))
def test_duration_round_trip(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("256M", 256 * 2**20),
        ("1G", 2**30),
        ("1GiB", 2**30),
        ("512k", 512 * 1024),
        ("1024", 1024),
        ("64MB", 64 * 2**20),
    ],
)
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


@given(st.text(alphabet="abcxyz!@#-", min_size=1))
def test_sizes_reject_garbage_with_a_hint(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_size(text)
    assert "256M" in info.value.one_line()
