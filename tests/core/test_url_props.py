"""Property tests for the router URL, context name and snapshot MACHINE:TAG parsers: any text
is accepted or refused with a one-line UsageError, never another exception."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mikrodock.chr.snapshots import parse_source
from mikrodock.contexts import check_name, check_url, shown_url, url_user
from mikrodock.errors import UsageError
from mikrodock.routeros.wire import split_url

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


_HOSTS = st.one_of(
    st.from_regex(r"[a-z][a-z0-9-]{0,12}(\.[a-z]{2,6}){0,2}", fullmatch=True),
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(lambda ip: f"[{ip}]"),
)


@settings(max_examples=200, deadline=None)
@given(
    scheme=st.sampled_from(["http", "https"]),
    host=_HOSTS,
    port=st.none() | st.integers(min_value=1, max_value=65535),
    path=st.sampled_from(["", "/", "/rest", "/rest/", "/router/rest/"]),
)
def test_split_url_keeps_scheme_host_and_port(
    scheme: str, host: str, port: int | None, path: str
) -> None:
    origin = f"{scheme}://{host}" + (f":{port}" if port is not None else "")
    base, user, password = split_url(origin + path)
    assert (base.scheme, base.host, base.port) == (scheme, host, port)
    assert base.hostname == host.strip("[]")
    assert (user, password) == ("", "")
    prefix = "/router" if path.startswith("/router") else ""
    assert base.url("system/resource") == f"{origin}{prefix}/rest/system/resource"
    assert base.router_url == origin + prefix
