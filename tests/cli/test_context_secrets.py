"""Passwords never ride in URLs (refused, never echoed) and `context add` logs in to check them
(unless --no-verify), against the simulator over HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mikrodock.contexts import Context, ContextStore, Target, shown_url
from mikrodock.paths import config_dir
from mikrodock.sim import Simulator

SECRET = "s3cr3t-Pw"


@pytest.mark.parametrize("where", ["-H", "--url"])
def test_a_password_in_the_url_is_refused_and_never_printed(
    run_cli: Any, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    monkeypatch.setenv("MIKRODOCK_PASSWORD", "")
    url = f"http://admin:{SECRET}@127.0.0.1:1"
    if where == "-H":
        ran = run_cli("ps", "-H", url)
    else:
        ran = run_cli("context", "add", "r1", "--url", url, "--no-verify")
    assert ran.code == 2
    assert "password" in ran.err and "--password-stdin" in ran.err
    assert SECRET not in ran.out + ran.err
    assert not (config_dir() / "contexts.json").exists()


def test_a_bad_url_with_user_info_is_not_echoed(run_cli: Any) -> None:
    ran = run_cli("ps", "-H", f"ftp://admin:{SECRET}@host")
    assert ran.code == 2 and SECRET not in ran.err


def test_a_user_name_in_the_url_may_stay(monkeypatch: pytest.MonkeyPatch) -> None:
    from mikrodock.contexts import resolve_target

    target = resolve_target(host="http://ops@127.0.0.1:1", context=None, password="x")
    assert target.user == "ops"


def test_an_older_file_with_a_url_password_never_shows_it(run_cli: Any) -> None:
    ContextStore().add(Context("old", "http://127.0.0.1:1", "admin", "p"))
    data = json.loads((config_dir() / "contexts.json").read_text())
    data["contexts"]["old"]["url"] = f"http://admin:{SECRET}@127.0.0.1:1"
    (config_dir() / "contexts.json").write_text(json.dumps(data))
    for args in (("context", "ls"), ("context", "ls", "--json")):
        ran = run_cli(*args)
        assert ran.code == 0 and SECRET not in ran.out and "127.0.0.1:1" in ran.out
    (context,) = ContextStore().list()
    assert SECRET not in repr(context)
    assert SECRET not in repr(Target(context.url, "admin", "p"))
    assert shown_url("http://a:b@h/") == "http://a:***@h/"


def test_context_add_checks_the_password_unless_no_verify(
    run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Simulator() as sim:
        monkeypatch.setenv("MIKRODOCK_PASSWORD", "wrong-one")
        ran = run_cli("context", "add", "r1", "--url", sim.url)
        assert ran.code == 2 and "--no-verify" in ran.err
        assert "wrong-one" not in ran.err
        assert not (config_dir() / "contexts.json").exists()
        ran = run_cli("context", "add", "r1", "--url", sim.url, "--no-verify")
        assert ran.code == 0, ran.err
        monkeypatch.setenv("MIKRODOCK_PASSWORD", sim.password)
        ran = run_cli("context", "add", "r2", "--url", sim.url)
        assert ran.code == 0, ran.err
    assert [c.name for c in ContextStore().list()] == ["r1", "r2"]
    ran = run_cli("context", "add", "r3", "--url", "http://127.0.0.1:1")  # nothing answers
    assert ran.code != 0 and "--no-verify" in ran.err
