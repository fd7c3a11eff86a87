"""Dialect behaviour users rely on: version resolution, semantic facts, errors, arrival."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mikrodock.errors import UnsupportedError
from mikrodock.routeros.dialect import FLOOR, Dialect, captured_versions, modeled_menus
from mikrodock.routeros.version import RouterOSVersion, parse_version

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO.parent / "shared" / "routeros-schema"
TABLE = REPO / "src" / "mikrodock" / "routeros" / "dialect_table.json"


# -- resolution -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "resolved"),
    [
        ("7.15", "7.15"),
        ("7.15.4", "7.15.3"),
        ("7.19.5", "7.19.4"),
        ("7.20.8 (long-term)", "7.20.8"),
        ("7.21.3", "7.21.2"),
        ("7.22 (stable)", "7.22"),
        ("7.22.2", "7.22.1"),
        ("7.23beta2", "7.22.3"),
        ("7.23rc1", "7.22.3"),
        ("7.23", "7.23"),
        ("7.24", "7.24"),
        ("7.24.1", "7.24"),
        ("7.25rc1", "7.24"),
        ("8.1", "7.24"),
    ],
)
def test_version_resolves_to_newest_capture_not_newer(asked: str, resolved: str) -> None:
    dialect = Dialect.for_version(asked)
    assert dialect.version == parse_version(asked)
    assert dialect.resolved == parse_version(resolved)


def test_in_between_version_has_what_the_previous_patch_added() -> None:
    # shm-size and tmpfs came with 7.21.2; 7.21.3 was not captured.
    assert Dialect.for_version("7.21.3").has_arg("container", "add", "shm-size")
    assert Dialect.for_version("7.21.3").has_arg("container", "add", "tmpfs")
    assert not Dialect.for_version("7.21.1").has_arg("container", "add", "tmpfs")


def test_prerelease_uses_the_previous_stable_dialect() -> None:
    rc = Dialect.for_version("7.23rc1")
    assert not rc.has_command("container", "restart")  # a 7.23 command
    assert rc.commands("container") == Dialect.for_version("7.22.3").commands("container")


@pytest.mark.parametrize("old", ["7.14.3", "7.1", "7.15beta4", "6.49.10"])
def test_versions_before_the_floor_are_unsupported_with_a_hint(old: str) -> None:
    with pytest.raises(UnsupportedError) as caught:
        Dialect.for_version(old)
    assert "7.15" in caught.value.one_line()
    assert "upgrade" in (caught.value.hint or "")


def test_for_version_is_cached_and_accepts_parsed_versions() -> None:
    first = Dialect.for_version("7.21.5")
    assert Dialect.for_version(parse_version("7.21.5")) is first
    assert captured_versions()[0] == FLOOR


VERSIONS = st.builds(
    lambda minor, patch, pre, number: RouterOSVersion(7, minor, patch, pre, number if pre else 0),
    st.integers(15, 30),
    st.integers(0, 12),
    st.sampled_from(["", "", "beta", "rc"]),
    st.integers(1, 5),
)


@given(VERSIONS)
def test_any_version_behaves_like_its_newest_earlier_capture(version: RouterOSVersion) -> None:
    captures = captured_versions()
    expected = max(c for c in captures if c <= version) if version >= captures[0] else None
    if expected is None:
        with pytest.raises(UnsupportedError):
            Dialect.for_version(version)
        return
    dialect = Dialect.for_version(version)
    assert dialect.resolved == expected
    same = Dialect.for_version(expected)
    for menu in ("container", "container/mounts", "app", "ip/firewall/filter", "file"):
        assert dialect.commands(menu) == same.commands(menu)
        for command in dialect.commands(menu):
            assert dialect.args(menu, command) == same.args(menu, command)


# -- semantic facts (the ROUTEROS-FACTS table, checked against the trees) --------------------

# (property, value before, value from, the version that changed it), per ROUTEROS-FACTS.md and
# checked against the trees; evaluated on every captured version and on versions in between.
CHANGES = [
    ("env_list_arg", "envlist", "envlists", "7.20"),
    ("inline_env", False, True, "7.21"),
    ("envs_group_key", "name", "list", "7.20"),
    ("mount_list_arg", "mounts", "mountlists", "7.21"),
    ("inline_mount", False, True, "7.21"),
    ("mounts_group_key", "name", "list", "7.21"),
    ("state_style", "status", "flags", "7.20"),
    ("numbers_arg", "number", "numbers", "7.20"),
    ("config_memory_arg", "ram-high", "memory-high", "7.20"),
    ("memory_arg", None, "memory-high", "7.20"),
    ("has_app_add", False, True, "7.22"),
    ("has_app", False, True, "7.21"),
    ("has_container_log", False, True, "7.20"),
    ("has_shell_cmd", False, True, "7.20"),
    ("has_repull", False, True, "7.20"),
    ("has_update", False, True, "7.21"),
    ("has_kill", False, True, "7.21"),
    ("has_restart", False, True, "7.23"),
    ("restart_policy", False, True, "7.23"),
    ("healthcheck", False, True, "7.22"),
    ("needs_apply_changes", False, True, "7.18"),
]
EXTRA_VERSIONS = ["7.19.5", "7.20rc3", "7.21.3", "7.22beta1", "7.23rc1", "7.23.2", "7.25"]


@pytest.mark.parametrize(("prop", "before", "after", "since"), CHANGES, ids=[c[0] for c in CHANGES])
def test_semantic_fact_changes_at_its_version(
    prop: str, before: object, after: object, since: str
) -> None:
    versions = [str(v) for v in captured_versions()] + EXTRA_VERSIONS
    for version in versions:
        dialect = Dialect.for_version(version)
        expected = after if dialect.resolved >= parse_version(since) else before
        assert getattr(dialect, prop) == expected, f"{prop} on {version}"


def test_prereleases_keep_the_previous_facts() -> None:
    assert Dialect.for_version("7.20rc3").state_style == "status"
    assert Dialect.for_version("7.20").state_style == "flags"
    assert Dialect.for_version("7.22beta1").has_app_add is False


def test_mount_read_only_changes_name() -> None:
    assert Dialect.for_version("7.19").mount_read_only_arg is None
    assert Dialect.for_version("7.20").mount_read_only_arg == "read-only"
    assert Dialect.for_version("7.22.3").mount_read_only_arg == "read-only"
    assert Dialect.for_version("7.23").mount_read_only_arg == "mode"


def test_package_activation_and_image_fields() -> None:
    assert not Dialect.for_version("7.17").needs_apply_changes
    assert Dialect.for_version("7.18").needs_apply_changes
    assert Dialect.for_version("7.17.1").image_field_names == ("tag", "repo")
    assert Dialect.for_version("7.18").image_field_names == ("repo", "tag")
    assert Dialect.for_version("7.19.6").image_field_names == ("repo", "tag")
    assert Dialect.for_version("7.22.3").image_field_names == ("tag", "repo")


@pytest.mark.parametrize(
    ("version", "menu", "command", "expected"),
    [
        ("7.19", "container", "start", "number"),
        ("7.20", "container", "stop", "numbers"),
        ("7.21", "container", "kill", "number"),
        ("7.21", "container", "repull", "number"),
        ("7.22", "container", "set", "numbers"),
        ("7.22", "container/envs", "remove", "numbers"),
        ("7.19", "container", "kill", None),
        ("7.22", "container", "add", None),
    ],
)
def test_item_arg_names_what_a_command_acts_on(
    version: str, menu: str, command: str, expected: str | None
) -> None:
    assert Dialect.for_version(version).item_arg(menu, command) == expected


# -- lookups and errors ---------------------------------------------------------------------


def test_menus_accept_leading_slash_and_report_absence() -> None:
    d = Dialect.for_version("7.20.8")
    assert d.has_menu("/container/envs/")
    assert not d.has_menu("app")  # 7.21+
    assert d.commands("app") == frozenset()
    assert not d.has_menu("ip/route")  # outside the table
    assert not Dialect.is_modeled("ip/route")
    assert Dialect.is_modeled("container/log")


def test_tool_models_only_fetch() -> None:
    d = Dialect.for_version("7.22.3")
    assert d.commands("tool") == {"fetch"}
    assert {"url", "dst-path", "mode", "output"} <= d.args("tool", "fetch")


def test_args_of_missing_command_raise_with_arrival_hint() -> None:
    d = Dialect.for_version("7.19.6")
    with pytest.raises(UnsupportedError) as caught:
        d.args("container", "kill")
    assert caught.value.one_line() == (
        "RouterOS 7.19.6 has no /container/kill (it arrives in RouterOS 7.21; upgrade the router)"
    )
    with pytest.raises(UnsupportedError, match="no /app"):
        d.args("app", "add")
    with pytest.raises(UnsupportedError, match="does not model /ip/route"):
        d.args("ip/route", "add")


def test_unknown_args_lists_what_the_version_lacks_in_order() -> None:
    d = Dialect.for_version("7.19.6")
    names = ["remote-image", "envlists", "envlist", ".id", "mount", "envlists", "name"]
    assert d.unknown_args("container", "add", names) == ["envlists", "mount"]
    assert Dialect.for_version("7.21.5").unknown_args("container", "add", names) == ["envlist"]
    with pytest.raises(UnsupportedError):
        d.unknown_args("container", "kill", ["number"])


def test_arrival_names_the_first_version_that_has_it() -> None:
    old = Dialect.for_version("7.19")
    assert old.arrival("container", "kill") == parse_version("7.21")
    assert old.arrival("container", "add", "envlists") == parse_version("7.20")
    assert old.arrival("container", "add", "shm-size") == parse_version("7.21.2")
    assert old.arrival("container", "add", "name") == parse_version("7.19")
    assert old.arrival("app") == parse_version("7.21")
    assert old.arrival("app", "add", "yaml") == parse_version("7.22")
    # present in the oldest capture: the floor
    assert old.arrival("container", "add", "remote-image") == FLOOR
    assert old.arrival("ip/firewall/filter", "add", "chain") == FLOOR
    # removed and never back
    assert Dialect.for_version("7.21").arrival("container", "add", "envlist") is None
    assert Dialect.for_version("7.23").arrival("container/mounts", "add", "read-only") is None
    assert old.arrival("container", "add", "no-such-arg") is None
    assert old.arrival("ip/route") is None


def test_modeled_menus_cover_the_brief() -> None:
    expected = {
        "container", "container/envs", "container/mounts", "container/config", "container/log",
        "container/layers", "interface/veth", "interface/bridge", "interface/bridge/port",
        "ip/address", "ip/firewall/nat", "ip/firewall/filter", "system/resource",
        "system/package", "system/device-mode", "system/logging", "log", "file", "tool", "app",
    }  # fmt: skip
    assert expected <= modeled_menus()
    d = Dialect.for_version("7.24")
    for command in ("add", "set", "start", "stop", "kill", "shell", "repull", "update", "run"):
        assert d.has_command("container", command), command


# -- the table itself -----------------------------------------------------------------------


def test_table_is_small() -> None:
    assert TABLE.stat().st_size < 150_000


@pytest.mark.skipif(not SCHEMA.is_dir(), reason=f"the RouterOS command trees ({SCHEMA}) are absent")
def test_table_is_what_the_generator_makes_from_the_trees() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_dialect.py"), str(SCHEMA), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_properties_list_what_a_record_can_carry() -> None:
    fields = Dialect.for_version("7.19").properties("system/resource")
    assert fields is not None
    assert {"architecture-name", "board-name", "free-memory", "version"} <= fields
    assert Dialect.for_version("7.22.3").properties("container") is None  # not in the trees


def test_required_args_of_base_menus() -> None:
    d = Dialect.for_version("7.22.3")
    assert d.required_args("ip/address") == {"address", "interface"}
    assert d.required_args("ip/firewall/nat") == {"chain"}
    assert d.required_args("interface/bridge") == frozenset()
    assert d.required_args("container") is None  # unknown: never probed
    assert d.required_args("container", "kill") is None
