"""`context ls` prints a header row like `docker context ls` (NAME, URL, USER, TLS) with the
current context marked `*`; `--json` keeps its shape. `context add` takes --router-user."""

from __future__ import annotations

import json
from typing import Any

import pytest


def _add(cli: Any, name: str, *extra: str) -> None:
    code, _out, err = cli("context", "add", name, *extra, "--no-verify")
    assert code == 0, err


def test_ls_has_a_header_and_marks_the_current_one(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIKRODOCK_PASSWORD", "")
    code, out, _err = cli("context", "ls")
    assert code == 0 and out.split() == ["NAME", "URL", "USER", "TLS"]

    _add(cli, "lab", "--url", "http://127.0.0.1:8080", "--router-user", "ops", "--insecure")
    _add(cli, "office", "--url", "https://192.0.2.1", "--tls-pin", "--use")
    _add(cli, "old", "--url", "https://192.0.2.2", "--user", "legacy")
    code, out, _err = cli("context", "ls")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split() == ["NAME", "URL", "USER", "TLS"]
    assert [row.split() for row in rows] == [
        ["lab", "http://127.0.0.1:8080", "ops", "insecure"],
        ["office", "*", "https://192.0.2.1", "admin", "pinned"],
        ["old", "https://192.0.2.2", "legacy", "verify"],
    ]
    # columns line up under the header
    for row in rows:
        url, user, tls = row.split()[-3:]
        assert (row.index(url), row.index(user), row.rindex(tls)) == tuple(
            header.index(column) for column in ("URL", "USER", "TLS")
        )

    code, out, _err = cli("context", "ls", "--json")
    assert json.loads(out) == [
        {
            "name": "lab",
            "url": "http://127.0.0.1:8080",
            "user": "ops",
            "tls": "insecure",
            "current": False,
        },
        {
            "name": "office",
            "url": "https://192.0.2.1",
            "user": "admin",
            "tls": "pin",
            "current": True,
        },
        {
            "name": "old",
            "url": "https://192.0.2.2",
            "user": "legacy",
            "tls": "verify",
            "current": False,
        },
    ]
