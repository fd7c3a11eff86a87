"""Lab files: parsing, line-numbered errors, and the link syntax (property-based)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mikrodock.errors import UsageError
from mikrodock.lab.labfile import (
    Endpoint,
    LabError,
    load_lab,
    parse_endpoint,
    parse_lab,
    parse_link,
)

GOOD = """\
name: ospf-demo
defaults:
  version: 7.22.3
  memory: 256M
routers:
  r1:
    memory: 512M
    cpus: 2
    startup: r1.rsc
  r2:
    version: stable
  r3:
links:
  - r1:ether2=r2:ether2
  - r2:ether3=r3:ether2
"""


def test_a_good_lab_reads_with_defaults_and_relative_paths(tmp_path: Path) -> None:
    (tmp_path / "r1.rsc").write_text("/system identity set name=r1\n")
    (tmp_path / "lab.yaml").write_text(GOOD)
    lab = load_lab(tmp_path / "lab.yaml")
    assert lab.name == "ospf-demo"
    assert [r.name for r in lab.routers] == ["r1", "r2", "r3"]
    r1, r2, r3 = lab.routers
    assert (r1.memory, r1.cpus, r1.version) == ("512M", 2, "7.22.3")
    assert r1.startup == tmp_path / "r1.rsc"
    assert r2.version == "stable" and r2.memory == "256M"
    assert r3.version == "7.22.3" and r3.startup is None
    assert [str(link) for link in lab.links] == ["r1:ether2=r2:ether2", "r2:ether3=r3:ether2"]
    assert lab.links[1].line == 15


def test_the_lab_name_defaults_to_the_file_name(tmp_path: Path) -> None:
    (tmp_path / "edge-lab.yaml").write_text("routers:\n  r1:\n")
    assert load_lab(tmp_path / "edge-lab.yaml").name == "edge-lab"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("routers:\n  r1:\n    memroy: 1G\n", 3, "unknown key 'memroy'"),
        ("routers:\n  r1:\n    version: 7.x\n", 3, "unknown version or channel"),
        ("routers:\n  r1:\n    memory: 64M\n", 3, "128M or more"),
        ("routers:\n  r1:\n    cpus: two\n", 3, "whole number"),
        ("routers:\n  R1:\n", 2, "bad router name"),
        ("routers:\n  r1:\n    startup: nope.rsc\n", 3, "does not exist"),
        ("routers:\n  r1:\n  r2:\nlinks:\n  - r1:ether2=r3:ether2\n", 5, "no router named 'r3'"),
        ("routers:\n  r1:\n  r2:\nlinks:\n  - r1:ether1=r2:ether2\n", 5, "management"),
        ("routers:\n  r1:\n  r2:\nlinks:\n  - r1:ether2=r1:ether3\n", 5, "to itself"),
        ("routers:\n  r1:\n  r2:\nlinks:\n  - r1:eth2=r2:ether2\n", 5, "bad link end"),
        (
            "routers:\n  r1:\n  r2:\n  r3:\nlinks:\n  - r1:ether2=r2:ether2\n"
            "  - r1:ether2=r3:ether2\n",
            7,
            "already used by the link on line 6",
        ),
        ("routers:\n  r1:\nlinks: r1\n", 3, "links must be a list"),
        ("routers:\n  r1: [\n", 3, "not valid YAML"),
        ("route:\n  r1:\n", 1, "unknown key 'route'"),
        ("defaults:\n  startup: x.rsc\nrouters:\n  r1:\n", 2, "unknown key 'startup'"),
        ("routers:\n  r1:\n    memory:\n      - 1\n", 4, "single value"),
        ("routers:\n  r1:\n    memory:\n", 3, "memory has no value"),
    ],
)
def test_errors_name_the_line_and_the_fix(text: str, line: int, words: str) -> None:
    with pytest.raises(LabError) as caught:
        parse_lab(text, source="lab.yaml", base=Path("/nonexistent"))
    assert caught.value.line == line, str(caught.value)
    assert words in str(caught.value)
    assert str(caught.value).startswith(f"lab.yaml:{line}: ")
    assert caught.value.hint


def test_a_lab_without_routers_says_so() -> None:
    for text in ("", "name: x\n", "routers:\n"):
        with pytest.raises(LabError, match="routers"):
            parse_lab(text)


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read the lab file"):
        load_lab(tmp_path / "none.yaml")


names = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,10}", fullmatch=True)
ifaces = st.integers(min_value=2, max_value=32).map(lambda n: f"ether{n}")


@given(a=names, b=names, ia=ifaces, ib=ifaces)
def test_links_round_trip(a: str, b: str, ia: str, ib: str) -> None:
    text = f"{a}:{ia}={b}:{ib}"
    if a == b:
        with pytest.raises(UsageError):
            parse_link(text)
        return
    link = parse_link(text)
    assert (link.a, link.b) == (Endpoint(a, ia), Endpoint(b, ib))
    assert str(link) == text
    assert link.a.index == int(ia[5:])


@given(st.text(max_size=40))
def test_any_text_is_a_link_or_a_usage_error(text: str) -> None:
    try:
        link = parse_link(text)
    except UsageError as error:
        assert error.hint
    else:
        assert link.a.router != link.b.router


@given(st.text(max_size=30))
def test_any_endpoint_text_parses_or_fails_cleanly(text: str) -> None:
    try:
        end = parse_endpoint(text)
    except UsageError:
        return
    assert 2 <= end.index <= 32


yaml_ish = st.lists(
    st.sampled_from(
        ["routers:", "  r1:", "  r2:", "    memory: 512M", "    cpus: 0", "links:",
         "  - r1:ether2=r2:ether2", "  - r1:ether2=r2:ether3", "defaults:", "  version: x",
         "name: Lab", "- a", "  : b", "[", "{", "'", "\t", "routers: 5", "    startup: a"]
    ),
    max_size=12,
).map("\n".join)  # fmt: skip


@given(st.one_of(yaml_ish, st.text(max_size=80)))
def test_any_document_is_a_lab_or_a_line_numbered_usage_error(text: str) -> None:
    try:
        lab = parse_lab(text, source="lab.yaml", base=Path("/nonexistent"))
    except LabError as error:
        assert str(error).startswith("lab.yaml")
        assert error.hint
    else:
        assert lab.routers
