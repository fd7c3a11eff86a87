"""One name per concept: the new spellings work and the older ones still do (hidden)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize("spelling", [["-H"], ["--host"], ["--url"]])
def test_context_add_takes_the_url_as_dash_h(spelling: list[str], run_cli: Any) -> None:
    code, out, err = run_cli("context", "add", "r1", *spelling, "http://127.0.0.1:2", "--no-verify")
    assert code == 0, err
    assert "context r1: http://127.0.0.1:2" in out


def test_context_add_without_a_url_says_how(run_cli: Any) -> None:
    code, _out, err = run_cli("context", "add", "r1", "--no-verify")
    assert code == 2 and "-H URL" in err


@pytest.mark.parametrize("ref", [["r1:base"], ["r1", "base"]])
def test_snapshot_commands_take_name_colon_tag(ref: list[str], run_cli: Any) -> None:
    code, _out, err = run_cli("chr", "snapshot", "rm", *ref)
    assert code == 2 and "r1" in err and "bad snapshot" not in err  # no such machine/snapshot


def test_a_snapshot_without_a_tag_is_refused(run_cli: Any) -> None:
    code, _out, err = run_cli("chr", "snapshot", "rm", "r1")
    assert code == 2 and "NAME:TAG" in err


def test_sim_help_uses_router_version_and_router_user(run_cli: Any) -> None:
    code, out, _err = run_cli("sim", "--help")
    assert code == 0 and "--router-version" in out and "--router-user" in out
    assert "--version" not in out.replace("--router-version", "")
