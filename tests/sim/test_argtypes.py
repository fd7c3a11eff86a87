"""Argument types read from RouterOS's syntax text, and the values they take or refuse."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mikrodock.sim.argtypes import ArgError, format_time, parse_time, parse_type


@given(st.integers(min_value=0, max_value=10**9))
def test_time_intervals_round_trip_through_routeros_spelling(millis: int) -> None:
    seconds = millis / 1000
    assert parse_time(format_time(seconds)) == pytest.approx(seconds)


@given(st.text(max_size=20))
def test_any_text_gives_a_value_or_routeros_error(text: str) -> None:
    for syntax in (
        "1s..1d    (time interval)",
        "0..4294967295",
        "A.B.C.D    (IP address)",
        "AB[:|-|.]CD[:|-|.]EF[:|-|.]GH[:|-|.]IJ[:|-|.]KL    (MAC address)",
        "enum:no|yes",
        "string value, min length 1, max length 5",
        "IPv6/0..128    (IPv6 prefix)",
    ):
        try:
            assert isinstance(parse_type(syntax).check("x", text), str)
        except ArgError as error:
            assert "x" in str(error)


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_numbers_are_checked_against_their_range(number: int) -> None:
    kind = parse_type("0..65535")
    if 0 <= number <= 65535:
        assert kind.check("port", str(number)) == str(number)
    else:
        with pytest.raises(ArgError, match=r"value of port out of range \(0\.\.65535\)"):
            kind.check("port", str(number))


@given(st.ip_addresses(v=4))
def test_ip_addresses_are_kept_as_written(address: ipaddress.IPv4Address) -> None:
    assert parse_type("A.B.C.D    (IP address)").check("address", str(address)) == str(address)


def test_yes_no_reads_as_true_false_and_time_ranges_speak_as_routeros() -> None:
    assert parse_type("enum:no|yes").check("disabled", "yes") == "true"
    with pytest.raises(ArgError, match="input does not match any value of disabled"):
        parse_type("enum:no|yes").check("disabled", "maybe")
    with pytest.raises(ArgError, match=r"out of range \(00:00:10 \.\. 1d00:00:00\)"):
        parse_type("10s..1d    (time interval)").check("activation-timeout", "1s")
    assert parse_type("time interval").check("t", "00:01:30") == "1m30s"
    assert parse_type("a|b|c[,Name*]").check("m", "a,c") == "a,c"
    assert parse_type("string value, max length 3").sample() == "x"
