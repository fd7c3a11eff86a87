"""Property tests for ``mikrodock chr run -p`` and the container ``--ip``/``--pull`` flag
parsers: any text is accepted as a valid value or refused with a one-line UsageError."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mikrodock.chr.machine import parse_publish
from mikrodock.containers.flags import parse_ip, parse_pull
from mikrodock.errors import UsageError

_PORTISH = st.one_of(
    st.text(max_size=20),
    st.text(alphabet="0123456789:/tcp-+ ", max_size=16),
)


@settings(max_examples=300, deadline=None)
@given(_PORTISH)
def test_publish_gives_ports_in_range_or_refuses(text: str) -> None:
    try:
        pairs = parse_publish((text,))
    except UsageError as exc:
        assert "\n" not in str(exc)
        return
    ((host, guest),) = pairs
    assert 0 <= host < 65536 and 0 < guest < 65536
    assert text.isascii()  # what is accepted is written in ASCII digits, as a user reads it


@pytest.mark.parametrize("text", [" 80", "+80", "8_0", "\u0668\u0660", "80 ", "08080:80x"])
def test_publish_takes_ascii_digits_only(text: str) -> None:
    with pytest.raises(UsageError, match="bad -p"):
        parse_publish((text,))


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=20), st.ip_addresses().map(str)))
def test_ip_flag_gives_ipv4_or_refuses(text: str) -> None:
    try:
        got = parse_ip(text, "--ip")
    except UsageError as exc:
        assert "\n" not in str(exc)
        return
    assert str(ipaddress.IPv4Address(got)) == got


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=10))
def test_pull_flag_is_one_of_three_or_refused(text: str) -> None:
    try:
        assert parse_pull(text) in ("always", "missing", "never")
    except UsageError as exc:
        assert "\n" not in str(exc)
