"""The compose value parsers: any text gives a value in range or a SpecError, never a crash."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mikrodock.compose.parts import SpecError, parse_duration, parse_port, parse_size

DIGITS = st.text(alphabet="0123456789８０٣", min_size=1, max_size=8)


@given(st.text(max_size=24))
def test_port_in_range_or_refused(text: str) -> None:
    try:
        port = parse_port(text)
    except SpecError:
        return
    assert 1 <= port.target <= 65535
    assert port.published is None or 1 <= port.published <= 65535


@given(host=DIGITS, ctr=DIGITS)
def test_port_digits_are_ascii(host: str, ctr: str) -> None:
    try:
        parse_port(f"{host}:{ctr}")
    except SpecError:
        return
    assert (host + ctr).isascii()


@pytest.mark.parametrize("text", ["8" * 5000, "８０", "80x", "1e3"])
def test_bad_ports(text: str) -> None:
    with pytest.raises(SpecError):
        parse_port(f"{text}:80")


@given(st.text(max_size=24))
def test_duration_finite_or_refused(text: str) -> None:
    try:
        seconds = parse_duration(text)
    except SpecError:
        return
    assert math.isfinite(seconds) and seconds >= 0


@given(st.text(max_size=24))
def test_size_bounded_or_refused(text: str) -> None:
    try:
        size = parse_size(text)
    except SpecError:
        return
    assert 0 <= size < 1 << 64


@pytest.mark.parametrize("text", ["999999999999999g", "1" * 16, "-1m", "1e3m", "１m"])
def test_bad_sizes(text: str) -> None:
    with pytest.raises(SpecError):
        parse_size(text)
