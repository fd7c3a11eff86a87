"""Contexts: saved routers with credentials, kept private, never echoing passwords."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from mikrodock import UsageError
from mikrodock.contexts import Context, ContextStore, resolve_target

MIKRODOCK = [sys.executable, "-m", "mikrodock"]


def cli(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MIKRODOCK, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def test_context_file_is_private_and_first_context_is_current(_isolated_home: Path) -> None:
    store = ContextStore()
    store.add(Context("lab", "http://127.0.0.1:8080", "admin", "s3cret"))
    mode = stat.S_IMODE(store.path.stat().st_mode)
    assert mode == 0o600
    assert store.current() == "lab"
    assert "s3cret" not in repr(store.get("lab"))
    target = resolve_target(host=None, context=None)
    assert (target.url, target.user, target.password) == (
        "http://127.0.0.1:8080",
        "admin",
        "s3cret",
    )


def test_host_wins_and_both_is_an_error() -> None:
    target = resolve_target(host="https://10.0.0.1/", context=None, password="x")
    assert target.url == "https://10.0.0.1" and target.user == "admin"
    with pytest.raises(UsageError, match="both given"):
        resolve_target(host="https://10.0.0.1", context="lab")


def test_no_router_names_the_fix() -> None:
    with pytest.raises(UsageError) as info:
        resolve_target(host=None, context=None)
    assert "mikrodock context add" in info.value.one_line()


def test_cli_add_reads_password_from_stdin_never_argv(_isolated_home: Path) -> None:
    done = cli(
        "context",
        "add",
        "r1",
        "--url",
        "http://127.0.0.1:1",
        "--password-stdin",
        "--no-verify",
        stdin="pa55word\n",
    )
    assert done.returncode == 0, done.stderr
    assert "pa55word" not in done.stdout + done.stderr
    listed = cli("context", "ls", "--json")
    rows = json.loads(listed.stdout)
    assert rows == [
        {
            "name": "r1",
            "url": "http://127.0.0.1:1",
            "user": "admin",
            "tls": "verify",
            "current": True,
        }
    ]
    assert "pa55word" not in listed.stdout
    saved = json.loads((_isolated_home / "config" / "contexts.json").read_text())
    assert saved["contexts"]["r1"]["password"] == "pa55word"


def test_cli_bad_input_is_one_line_exit_2_and_changes_nothing(_isolated_home: Path) -> None:
    done = cli("context", "add", "r1", "--url", "ftp://x", env={"MIKRODOCK_PASSWORD": ""})
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "http://" in done.stderr
    assert not (_isolated_home / "config" / "contexts.json").exists()
    missing = cli("context", "use", "nope")
    assert missing.returncode == 2 and "no context named 'nope'" in missing.stderr


def test_cli_use_and_rm(_isolated_home: Path) -> None:
    env = {"MIKRODOCK_PASSWORD": "p"}
    for name in ("a", "b"):
        assert (
            cli(
                "context", "add", name, "--url", "http://127.0.0.1:1", "--no-verify", env=env
            ).returncode
            == 0
        )
    assert cli("context", "use", "b").returncode == 0
    assert ContextStore().current() == "b"
    assert cli("context", "rm", "b").returncode == 0
    assert ContextStore().current() is None
    assert [c.name for c in ContextStore().list()] == ["a"]
