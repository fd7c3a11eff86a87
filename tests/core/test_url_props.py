"""Property tests for the router URL, context name and snapshot MACHINE:TAG parsers: any text
is accepted or refused with a one-line UsageError, never another exception."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mikrodock.chr.snapshots import parse_source
from mikrodock.contexts import check_name, check_url, shown_url, url_user
from mikrodock.errors import UsageError

_URLISH = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda s, r: s + r,
        st.sampled_from(["http://", "https://", "api://", "api-ssl://", "ftp://", ""]),
        st.text(alphabet="ab1.:@/[]%?#- ", max_size=40),
    ),
)


def _one_line(exc: UsageError) -> None:
    assert "\n" not in str(exc)


@settings(max_examples=200, deadline=None)
@given(_URLISH)
def test_check_url_accepts_or_refuses_in_one_line(text: str) -> None:
    try:
        got = check_url(text)
    except UsageError as exc:
        _one_line(exc)
        return
    assert not got.endswith("/") or got == ""
    shown = shown_url(got)
    assert isinstance(shown, str)
    try:
        assert isinstance(url_user(got), str)
    except UsageError as exc:
        _one_line(exc)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_shown_url_never_raises_and_hides_passwords(text: str) -> None:
    assert isinstance(shown_url(text), str)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_check_name_round_trips_or_refuses(text: str) -> None:
    try:
        assert check_name(text) == text
    except UsageError as exc:
        _one_line(exc)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_snapshot_source_splits_or_refuses(text: str) -> None:
    try:
        machine, tag = parse_source(text)
    except UsageError as exc:
        _one_line(exc)
        return
    assert machine and tag and f"{machine}:{tag}" == text
