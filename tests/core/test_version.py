"""RouterOS version strings as users and routers write them, and their release order."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mikrodock import UsageError
from mikrodock.routeros.version import RouterOSVersion, parse_version


@pytest.mark.parametrize(
    ("text", "expected", "channel"),
    [
        ("7.21.3", "7.21.3", ""),
        ("7.22 (stable)", "7.22", "stable"),
        ("7.23beta2", "7.23beta2", ""),
        ("7.23rc1", "7.23rc1", ""),
        ("7.20.8 (long-term)", "7.20.8", "long-term"),
        ("7.19.6 (stable) 2025-08-01 10:00:00", "7.19.6", "stable"),
    ],
)
def test_parses_the_forms_routeros_prints(text: str, expected: str, channel: str) -> None:
    version = parse_version(text)
    assert str(version) == expected
    assert version.channel == channel


def test_release_order() -> None:
    ordered = [
        "7.15",
        "7.20.8",
        "7.21",
        "7.21.3",
        "7.23beta1",
        "7.23beta2",
        "7.23rc1",
        "7.23",
        "7.23.1",
        "7.24",
    ]
    parsed = [parse_version(v) for v in ordered]
    assert sorted(reversed(parsed)) == parsed
    assert parse_version("7.22 (stable)") == parse_version("7.22.0")
    assert parse_version("7.23rc1") < "7.23"
    assert parse_version("7.23rc1").is_prerelease


@pytest.mark.parametrize("bad", ["", "seven", "7", "7.x", "7.21.3.4", "7.23gamma1"])
def test_rejects_what_is_not_a_version(bad: str) -> None:
    with pytest.raises(UsageError, match="not a RouterOS version"):
        parse_version(bad)


versions = st.builds(
    RouterOSVersion,
    major=st.integers(6, 8),
    minor=st.integers(0, 40),
    patch=st.integers(0, 20),
    pre=st.sampled_from(["", "beta", "rc"]),
    pre_number=st.integers(0, 9),
).filter(lambda v: not (v.pre and v.patch))


@given(versions)
def test_str_parses_back_to_the_same_version(version: RouterOSVersion) -> None:
    if not version.pre:
        version = RouterOSVersion(version.major, version.minor, version.patch)
    assert parse_version(str(version)) == version


@given(versions, versions)
def test_order_is_total_and_consistent(a: RouterOSVersion, b: RouterOSVersion) -> None:
    assert (a < b) + (a == b) + (b < a) == 1
