"""Values that look almost right are refused with a message, never taken as something else.

Each parser gets the lenient values an audit found accepted (full-width digits, trailing
characters, reversed ranges, NaN, relative paths, '..') and a property: whatever text comes in,
the parser either returns a value inside its documented range or raises a UsageError.
"""

from __future__ import annotations

import contextlib
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mikrodock.containers import flags
from mikrodock.containers.options import RunOptions, build_spec
from mikrodock.errors import UsageError
from mikrodock.images.reference import parse_reference


@pytest.mark.parametrize(
    "text",
    ["８０:80", "80:８０", "80:80x", "80:80 ", "80:80\n", "1-65536:1-65536", "0:80", "5-1:5-1"],
)
def test_port_lenient_forms_are_refused(text: str) -> None:
    with pytest.raises(UsageError):
        flags.parse_port(text)


@given(st.text(max_size=16))
def test_port_accepts_only_ascii_in_range(text: str) -> None:
    try:
        mapping = flags.parse_port(text)
    except UsageError:
        return
    assert text.isascii()
    assert 1 <= mapping.host_port <= 65535 and 1 <= mapping.container_port <= 65535


@pytest.mark.parametrize("text", ["", " ", "1k", "1023k", "99999999999999999999g", "1e3m", "１g"])
def test_memory_out_of_range_is_refused(text: str) -> None:
    with pytest.raises(UsageError, match="--memory"):
        flags.parse_memory(text)


@pytest.mark.parametrize("text", ["5-1", "a", "0-", "-1", "0,,1", "１", "0-3 "])
def test_cpuset_refused(text: str) -> None:
    with pytest.raises(UsageError, match="--cpuset-cpus"):
        flags.parse_cpuset(text)


@given(st.lists(st.tuples(st.integers(0, 63), st.integers(0, 8)), min_size=1, max_size=4))
def test_cpuset_ranges_low_to_high(parts: list[tuple[int, int]]) -> None:
    text = ",".join(f"{low}-{low + span}" if span else str(low) for low, span in parts)
    assert flags.parse_cpuset(text) == text


@given(st.text(max_size=12))
def test_cpuset_never_crashes(text: str) -> None:
    with contextlib.suppress(UsageError):
        flags.parse_cpuset(text)


@pytest.mark.parametrize("value", [-1, -5, 1 << 40])
def test_counts_refused(value: int) -> None:
    with pytest.raises(UsageError, match="--health-retries"):
        flags.check_count(value, "--health-retries")


@pytest.mark.parametrize("value", [math.nan, math.inf, -1.0, 0.0, 1e30])
def test_seconds_refused(value: float) -> None:
    with pytest.raises(UsageError, match="--timeout"):
        flags.check_seconds(value, "--timeout")


@pytest.mark.parametrize("text", ["nan", "inf", "-5s", "9" * 400, "１s", "1e999"])
def test_durations_refused(text: str) -> None:
    with pytest.raises(UsageError):
        flags.parse_duration_flag(text, "--health-timeout")


@given(st.text(max_size=20))
def test_durations_finite_or_refused(text: str) -> None:
    try:
        seconds = flags.parse_duration_flag(text, "--health-interval")
    except UsageError:
        return
    assert math.isfinite(seconds) and 0 <= seconds <= flags.MAX_SECONDS


@pytest.mark.parametrize("text", ["a b", "", "-web", "web-", "a..b", "x" * 64, "wéb", "a_b"])
def test_hostname_refused(text: str) -> None:
    with pytest.raises(UsageError, match="--hostname"):
        flags.parse_hostname(text)


@given(st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z0-9]{1,10}){0,3}", fullmatch=True))
def test_hostname_rfc1123_accepted(text: str) -> None:
    assert flags.parse_hostname(text) == text


@pytest.mark.parametrize("text", ["rel", "app/x", "", "/a\nb", "./x"])
def test_workdir_must_be_absolute(text: str) -> None:
    with pytest.raises(UsageError, match="--workdir"):
        flags.parse_workdir(text)


@pytest.mark.parametrize("text", ["../../..", "disk1/../..", "", "/", "disk1/a b", "disk1/./x"])
def test_root_dir_refused(text: str) -> None:
    with pytest.raises(UsageError, match="--root-dir"):
        flags.parse_root_dir(text)


@pytest.mark.parametrize("text", ["../../etc:/x", "disk1/../../rw:/x", "disk1/a:/x/../y"])
def test_volume_with_dotdot_refused(text: str) -> None:
    with pytest.raises(UsageError, match=r"'\.\.'"):
        flags.parse_volume(text)


@pytest.mark.parametrize("text", ["/:/x", "//:/x"])
def test_volume_of_the_whole_router_is_refused(text: str) -> None:
    with pytest.raises(UsageError, match="whole file system"):
        flags.parse_volume(text)


@pytest.mark.parametrize("ref", ["localhost:99999/nginx", "reg.example:0/app", "r.io:65536/a"])
def test_reference_port_out_of_range(ref: str) -> None:
    with pytest.raises(UsageError, match="1-65535"):
        parse_reference(ref)


def test_env_file_binary_is_refused(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "bin.env"  # type: ignore[operator]
    path.write_bytes(b"\xff\xfe\x00A=1")
    with pytest.raises(UsageError, match="not UTF-8"):
        flags.parse_env_file(path, {})
    path.write_bytes(b"A=1\x00B=2")
    with pytest.raises(UsageError, match="NUL"):
        flags.parse_env_file(path, {})


@pytest.mark.parametrize(
    ("field", "value", "flag"),
    [
        ("stop_timeout", -5, "--stop-timeout"),
        ("health_retries", -1, "--health-retries"),
        ("memory", "", "--memory"),
        ("cpuset_cpus", "5-1", "--cpuset-cpus"),
        ("hostname", "a b", "--hostname"),
        ("workdir", "rel", "--workdir"),
        ("root_dir", "../../..", "--root-dir"),
    ],
)
def test_build_spec_refuses_lenient_values(field: str, value: object, flag: str) -> None:
    opts = RunOptions(image="nginx", **{field: value})  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=flag):
        build_spec(opts, {})


def test_build_spec_refuses_a_bad_image_reference() -> None:
    with pytest.raises(UsageError, match="1-65535"):
        build_spec(RunOptions(image="localhost:99999/nginx"), {})


@pytest.mark.parametrize("text", ["999.0.0.0/8", "10.0.0.0/99", "::1/64", "10.0.0.0/31", "x", ""])
def test_subnet_refused(text: str) -> None:
    with pytest.raises(UsageError, match="--subnet"):
        flags.parse_subnet(text)


@given(ipv4=st.tuples(*[st.integers(0, 255)] * 4), prefix=st.integers(0, 40))
def test_subnet_valid_or_refused(ipv4: tuple[int, ...], prefix: int) -> None:
    text = ".".join(map(str, ipv4)) + f"/{prefix}"
    try:
        network = flags.parse_subnet(text)
    except UsageError:
        assert not 8 <= prefix <= 30
    else:
        assert network.prefixlen == prefix


def _planned(**fields: object) -> None:
    from mikrodock.containers.plan import plan_run
    from mikrodock.containers.state import Disk, RouterState

    state = RouterState.empty("7.22", "x86_64").with_objects(
        disks=(Disk("disk1", 8 << 30, 6 << 30, "nvme"),)
    )
    plan_run(build_spec(RunOptions(image="nginx", **fields), {}), state)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "fields",
    [{"volume": ("usb1/data:/data",)}, {"root_dir": "disk2/containers/web"}],
)
def test_a_disk_the_router_lacks_is_refused(fields: dict[str, object]) -> None:
    with pytest.raises(UsageError, match="the router has no disk") as caught:
        _planned(**fields)
    assert "disk1" in str(caught.value.hint)


@pytest.mark.parametrize(
    "fields",
    [{"volume": ("disk1/data:/data",)}, {"volume": ("containers/data:/data",)}],
)
def test_a_folder_on_the_routers_disks_is_planned(fields: dict[str, object]) -> None:
    _planned(**fields)
