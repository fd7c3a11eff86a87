"""Item ids as RouterOS writes them (`*1E`): anything else is not an id, whatever int() takes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mikrodock.sim.state import parse_id


@pytest.mark.parametrize("text", ["*-1", "*0x1f", "* 1f", "*1_f", "*", "1f", "*1f ", "*g"])
def test_what_is_no_id(text: str) -> None:
    assert parse_id(text) is None


@given(st.integers(min_value=0, max_value=2**63))
def test_ids_round_trip(number: int) -> None:
    assert parse_id(f"*{number:X}") == number
