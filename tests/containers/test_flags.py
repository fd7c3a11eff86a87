"""The parsers of Docker flags: what users type becomes the spec they meant, or a clear error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mikrodock.containers import flags
from mikrodock.containers.spec import EnvVar, HostEntry, Mount, PortMapping, RestartPolicy
from mikrodock.errors import UsageError

ports = st.integers(min_value=1, max_value=65535)
ipv4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))


@given(
    host=ports,
    ctr=ports,
    proto=st.sampled_from(["", "/tcp", "/udp"]),
    ip=st.one_of(st.none(), ipv4),
)
def test_port_roundtrip(host: int, ctr: int, proto: str, ip: str | None) -> None:
    text = f"{ip + ':' if ip else ''}{host}:{ctr}{proto}"
    mapping = flags.parse_port(text)
    assert mapping == PortMapping(host, ctr, "udp" if proto == "/udp" else "tcp", ip, 1)
    assert flags.parse_port(str(mapping)) == mapping


@given(host=ports, ctr=ports, length=st.integers(1, 50))
def test_port_ranges_keep_length(host: int, ctr: int, length: int) -> None:
    host = min(host, 65535 - length + 1)
    ctr = min(ctr, 65535 - length + 1)
    text = f"{host}-{host + length - 1}:{ctr}-{ctr + length - 1}"
    mapping = flags.parse_port(text)
    assert mapping.count == length
    assert mapping.host_ports == (str(host) if length == 1 else f"{host}-{host + length - 1}")
    assert flags.parse_port(str(mapping)) == mapping


@given(st.text(max_size=30))
def test_port_parser_never_crashes(text: str) -> None:
    try:
        mapping = flags.parse_port(text)
    except UsageError as error:
        assert "-p" in str(error) or "port" in str(error)
    else:
        assert 1 <= mapping.host_port <= 65535 and 1 <= mapping.container_port <= 65535


@pytest.mark.parametrize(
    "text",
    [
        "80",
        ":80",
        "8080:80/sctp",
        "0:80",
        "70000:80",
        "8000-8002:80",
        "9-8:9-8",
        "[::1]:80:80",
        "a:b",
        "1.2.3:80:80",
        "1:2:3:4",
    ],
)
def test_port_refused(text: str) -> None:
    with pytest.raises(UsageError):
        flags.parse_port(text)


env_keys = st.text(
    alphabet=st.characters(blacklist_characters="=,\"'", blacklist_categories=("Z", "C")),
    min_size=1,
    max_size=20,
)


@given(key=env_keys, value=st.text(max_size=40))
def test_env_key_value(key: str, value: str) -> None:
    assert flags.parse_env(f"{key}={value}", {}) == EnvVar(key, value)


@given(key=env_keys, value=st.text(max_size=20))
def test_env_bare_name_takes_local_value_or_is_dropped(key: str, value: str) -> None:
    assert flags.parse_env(key, {key: value}) == EnvVar(key, value)
    assert flags.parse_env(key, {}) is None


def test_env_refused() -> None:
    for text in ("=x", "A B=1", "", "a,b=1"):
        with pytest.raises(UsageError):
            flags.parse_env(text, {})


def test_env_file(tmp_path) -> None:
    path = tmp_path / "env"
    path.write_text('# comment\n\nA=1\nB="quoted" kept\nHOME\nMISSING\n  C=x=y\n')
    result = flags.parse_env_file(path, {"HOME": "/root"})
    assert result == [
        EnvVar("A", "1"),
        EnvVar("B", '"quoted" kept'),
        EnvVar("HOME", "/root"),
        EnvVar("C", "x=y"),
    ]
    with pytest.raises(UsageError, match="cannot read"):
        flags.parse_env_file(tmp_path / "nope", {})
    (tmp_path / "bad").write_text("A=1\nbad key=2\n")
    with pytest.raises(UsageError, match=":2:"):
        flags.parse_env_file(tmp_path / "bad", {})


segment = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyz0123456789_.-", min_size=1, max_size=12
).filter(
    lambda part: part != ".."  # refused on purpose (test_volume_with_dotdot_refused)
)


@given(
    src=st.lists(segment, min_size=1, max_size=3),
    dst=st.lists(segment, min_size=1, max_size=3),
    mode=st.sampled_from(["", ":ro", ":rw"]),
)
def test_volume_roundtrip(src: list[str], dst: list[str], mode: str) -> None:
    text = f"{'/'.join(src)}:/{'/'.join(dst)}{mode}"
    mount = flags.parse_volume(text)
    assert mount == Mount("/".join(src), "/" + "/".join(dst), mode == ":ro")


@pytest.mark.parametrize(
    "text", ["/data", "disk1:data", "a:/b:z", "a b:/c", "a:/b,c", ":/x", "a:", "a:/b:ro:x"]
)
def test_volume_refused(text: str) -> None:
    with pytest.raises(UsageError):
        flags.parse_volume(text)


@given(number=st.integers(1, 4096), unit=st.sampled_from(["", "b", "k", "K", "m", "M", "g", "G"]))
def test_memory_sizes(number: int, unit: str) -> None:
    factor = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit.lower()]
    size = number * factor
    if size < flags.MIN_MEMORY:
        with pytest.raises(UsageError, match="below the smallest limit"):
            flags.parse_memory(f"{number}{unit}")
    else:
        assert flags.parse_memory(f"{number}{unit}") == size


@given(st.text(max_size=12))
def test_memory_parser_errors_are_usage_errors(text: str) -> None:
    try:
        size = flags.parse_memory(text)
    except UsageError as error:
        assert "--memory" in str(error)
    else:
        assert flags.MIN_MEMORY <= size <= flags.MAX_BYTES


def test_memory_refuses_zero_and_unlimited() -> None:
    for text in ("0", "unlimited", "", "-5m", "lots"):
        with pytest.raises(UsageError):
            flags.parse_memory(text)
    assert flags.parse_memory_swap("-1") == -1


def test_restart() -> None:
    assert flags.parse_restart("no") == RestartPolicy("no")
    assert flags.parse_restart("always") == RestartPolicy("always")
    assert flags.parse_restart("unless-stopped") == RestartPolicy("unless-stopped")
    assert flags.parse_restart("on-failure") == RestartPolicy("on-failure")
    assert flags.parse_restart("on-failure:3") == RestartPolicy("on-failure", 3)
    for text in ("sometimes", "always:3", "on-failure:x", "on-failure:0"):
        with pytest.raises(UsageError):
            flags.parse_restart(text)


def test_add_host_and_dns() -> None:
    assert flags.parse_add_host("db:10.0.0.5") == HostEntry("db", "10.0.0.5")
    assert flags.parse_add_host("db=10.0.0.5") == HostEntry("db", "10.0.0.5")
    with pytest.raises(UsageError):
        flags.parse_add_host("db")
    assert flags.parse_dns("1.1.1.1") == "1.1.1.1"
    with pytest.raises(UsageError):
        flags.parse_dns("one")


def test_durations() -> None:
    assert flags.parse_duration_flag("1m30s", "--health-interval") == 90
    assert flags.parse_duration_flag("10", "--stop-timeout") == 10
    with pytest.raises(UsageError, match="--health-timeout"):
        flags.parse_duration_flag("soon", "--health-timeout")


safe_word = st.text(
    alphabet=st.characters(blacklist_characters="\"'\\", blacklist_categories=("Z", "C")),
    min_size=1,
    max_size=15,
)


@given(st.lists(safe_word, min_size=1, max_size=6))
def test_argv_survives_routeros_split(words: list[str]) -> None:
    """What the user typed is what runs: RouterOS splits at spaces, and gets the same words."""
    checked = flags.check_argv(words, "command")
    assert flags.join_argv(checked).split(" ") == words


@pytest.mark.parametrize("word", ["echo hi", "", "it's", 'say "x"', "a\\b", "tab\there"])
def test_argv_refuses_what_routeros_cannot_express(word: str) -> None:
    with pytest.raises(UsageError, match=r"RouterOS|empty"):
        flags.check_argv(["sh", "-c", word], "command")


def test_names() -> None:
    assert flags.check_name("web-1.a_b") == "web-1.a_b"
    for bad in ("", "-x", "a b", "x" * 64, "a:b"):
        with pytest.raises(UsageError):
            flags.check_name(bad)


component = st.from_regex(r"[a-z0-9]{1,8}(?:[._-][a-z0-9]{1,6})?", fullmatch=True)
registries = st.sampled_from(["", "docker.io/", "ghcr.io/", "quay.io/", "registry.lan:5000/"])
tags = st.one_of(st.just(""), st.from_regex(r":[A-Za-z0-9_][A-Za-z0-9_.-]{0,10}", fullmatch=True))


@given(registry=registries, path=st.lists(component, min_size=1, max_size=3), tag=tags)
def test_planned_image_is_the_image_the_user_named(
    registry: str, path: list[str], tag: str
) -> None:
    """What RouterOS pulls (registry-url + remote-image) names the same image as the user's."""
    from mikrodock.containers.plan import plan_run
    from mikrodock.containers.spec import ContainerSpec
    from mikrodock.containers.state import RouterState
    from mikrodock.images.reference import parse_reference

    text = f"{registry}{'/'.join(path)}{tag}"
    wanted = parse_reference(text)
    plan = plan_run(ContainerSpec(name="x", image=text), RouterState.empty("7.22", "arm64"))
    container = next(s for s in plan.steps if s.menu == "container")
    config = next((s.body for s in plan.steps if s.menu == "container/config"), {})
    url = str(config.get("registry-url", "https://registry-1.docker.io"))
    host = url.split("://", 1)[1]
    pulled = parse_reference(f"{host}/{container.body['remote-image']}")
    assert pulled == wanted
