"""`chr run --from` and `Chr().run(from_snapshot=...)`: one request type; a setting a clone
cannot honour is refused with exit 2 before anything is made, never silently dropped."""

from __future__ import annotations

from typing import Any

import pytest

from mikrodock.chr.api import Chr
from mikrodock.chr.launch import not_for_clone
from mikrodock.chr.machine import RunRequest
from mikrodock.chr.status import list_machines
from mikrodock.errors import UsageError


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--memory", "512M"], "--memory"),
        (["--cpus", "2"], "--cpus"),
        (["--package", "container"], "--package"),
        (["--device-mode", "container=yes"], "--device-mode"),
        (["--no-password"], "--password-stdin/--no-password"),
        (["--accel", "tcg"], "--accel"),
        (["--link", "r1:ether2"], "--link"),
        (["7.20.1"], "VERSION"),
    ],
)
def test_cli_refuses_what_a_clone_cannot_honour(run_cli: Any, flags: list[str], named: str) -> None:
    code, out, err = run_cli("chr", "run", "--from", "src:ready", "--name", "c1", *flags)
    assert code == 2, (out, err)
    line = err.strip()
    assert "\n" not in line and named in line and "--from" in line
    assert list_machines() == []


def test_cli_names_every_refused_flag_at_once(run_cli: Any) -> None:
    code, _, err = run_cli(
        "chr", "run", "--from", "src:ready", "--memory", "1G", "--package", "container"
    )
    assert code == 2 and "--memory" in err and "--package" in err


def test_python_api_refuses_the_same() -> None:
    with pytest.raises(UsageError, match="--memory"):
        Chr().run(from_snapshot="src:ready", memory="1G")
    with pytest.raises(UsageError, match="--cpus"):
        Chr().launch(RunRequest(from_snapshot="src:ready", cpus=2))
    assert list_machines() == []


def test_clone_fields_pass_the_check() -> None:
    # what a clone honours is not refused (the snapshot then decides whether it exists)
    request = RunRequest(
        from_snapshot="src:ready", name="c1", publish=("8080:80",), publish_all=True, timeout=9
    )
    assert not_for_clone(request) == []


def test_a_missing_snapshot_is_named_after_the_check(run_cli: Any) -> None:
    code, _, err = run_cli("chr", "run", "--from", "ghost:t", "--name", "c1", "-p", "8080:80")
    assert code == 2 and "no snapshot ghost:t" in err
