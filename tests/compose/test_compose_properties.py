"""Property tests for the parsers of user input: compose ports, volumes, interpolation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mikrodock.compose.interpolate import InterpolationError, interpolate, parse_dotenv
from mikrodock.compose.model import ComposePort
from mikrodock.compose.parts import SpecError, parse_port, parse_volume
from mikrodock.routeros.app_fields import parse_app_port

ports = st.integers(min_value=1, max_value=65535)
ipv4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)
values = st.text(alphabet=st.characters(blacklist_characters="$}\x00"), max_size=30)


@given(
    target=ports,
    published=st.none() | ports,
    protocol=st.sampled_from(["tcp", "udp"]),
    host_ip=st.none() | ipv4 | st.just("::1"),
)
def test_port_short_syntax_round_trips(
    target: int, published: int | None, protocol: str, host_ip: str | None
) -> None:
    port = ComposePort(
        target=target,
        published=published,
        protocol=protocol,  # type: ignore[arg-type]
        host_ip=host_ip,
    )
    assert parse_port(port.short()) == port


@given(start=st.integers(1, 60000), count=st.integers(2, 50), offset=st.integers(0, 5000))
def test_port_ranges_keep_their_length(start: int, count: int, offset: int) -> None:
    host = start + offset
    text = f"{host}-{host + count - 1}:{start}-{start + count - 1}"
    port = parse_port(text)
    assert (port.published, port.target, port.count) == (host, start, count)
    assert port.short() == text


@given(st.text(max_size=20))
def test_port_parser_raises_only_spec_errors(text: str) -> None:
    try:
        port = parse_port(text)
    except SpecError as error:
        assert error.hint
    else:
        assert 1 <= port.target <= 65535


@given(st.text(max_size=30))
def test_volume_parser_raises_only_spec_errors(text: str) -> None:
    try:
        volume = parse_volume(text)
    except SpecError as error:
        assert error.hint
    else:
        assert volume.target.startswith("/")


@given(
    source=st.from_regex(r"[a-z][a-z0-9_-]{0,10}|\./[a-z]{1,8}|/[a-z]{1,8}", fullmatch=True),
    target=st.from_regex(r"/[a-z0-9/]{0,15}", fullmatch=True),
    read_only=st.booleans(),
)
def test_volume_short_syntax(source: str, target: str, read_only: bool) -> None:
    text = f"{source}:{target}" + (":ro" if read_only else "")
    volume = parse_volume(text)
    assert (volume.source, volume.target, volume.read_only) == (source, target, read_only)
    assert volume.type == ("volume" if source[0].isalpha() else "bind")


@given(st.text(max_size=40))
def test_doubled_dollars_are_literal(text: str) -> None:
    assert interpolate(text.replace("$", "$$"), {}) == text


@given(name=names, value=values, default=values)
def test_variables_and_defaults(name: str, value: str, default: str) -> None:
    env = {name: value}
    assert interpolate(f"${{{name}}}", env) == value
    assert interpolate(f"a${name}/b", env) == f"a{value}/b"
    assert interpolate(f"${{{name}:-{default}}}", {}) == default
    assert interpolate(f"${{{name}-{default}}}", {name: ""}) == ""
    assert interpolate(f"${{{name}:-{default}}}", {name: ""}) == default
    assert interpolate(f"${{{name}:+{default}}}", env) == (default if value else "")


@given(name=names)
def test_unset_variables_are_errors(name: str) -> None:
    with pytest.raises(InterpolationError, match=name):
        interpolate(f"x ${{{name}}} y", {})
    with pytest.raises(InterpolationError, match="must be set"):
        interpolate(f"${{{name}:?must be set}}", {})


@given(st.dictionaries(names, st.text(alphabet="abcXYZ019 ._-/", max_size=20), max_size=6))
def test_dotenv_single_quoted_values(entries: dict[str, str]) -> None:
    text = "".join(f"{key}='{value}'\n" for key, value in entries.items())
    assert parse_dotenv(text) == entries


@given(
    host=ports,
    container=ports,
    protocol=st.sampled_from(["tcp", "udp"]),
    # a port text is read with its surrounding blanks dropped, so a label never ends in one
    label=st.none() | st.from_regex(r"[a-zA-Z]([a-zA-Z0-9 -]{0,9}[a-zA-Z0-9-])?", fullmatch=True),
    new_style=st.booleans(),
    ip=st.none() | ipv4,
)
def test_app_port_styles_agree(
    host: int, container: int, protocol: str, label: str | None, new_style: bool, ip: str | None
) -> None:
    prefix = f"{ip}:" if ip else ""
    suffix = f":{label}" if label else ""
    if new_style:
        text = f"{prefix}{host}:{container}{suffix}:{protocol}"
    else:
        text = f"{prefix}{host}:{container}/{protocol}{suffix}"
    assert parse_app_port(text).field_text() == f"{prefix}{host}:{container}:{protocol}{suffix}"


yaml_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=12)
yaml_values = st.recursive(
    yaml_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(
    st.dictionaries(
        st.sampled_from(
            ["image", "ports", "environment", "volumes", "command", "entrypoint", "container_name"]
        ),
        yaml_values,
    )
)
def test_interpret_never_crashes(service: dict[str, object]) -> None:
    """Any service body gives the four fields or a YamlError (the simulator relies on it)."""
    import json

    from mikrodock.routeros.app_fields import interpret_app_yaml
    from mikrodock.routeros.yaml_nodes import YamlError

    text = json.dumps({"services": {"svc": service}})  # JSON is YAML
    try:
        fields = interpret_app_yaml(text)
    except YamlError:
        return
    assert set(fields) == {"containers", "environment", "firewall-redirects", "required-mounts"}
