"""`logs --tail`: a number of lines (0 or more) or `all`, as docker takes it; a negative or
non-number is refused with one line and exit 2 before the router is asked anything."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mikrodock.containers.output import parse_tail
from mikrodock.errors import UsageError
from mikrodock.sim import running
from mikrodock.testing.sim_fixtures import wait_until


@given(st.integers(min_value=0, max_value=10**12))
def test_a_count_is_that_many_lines(count: int) -> None:
    assert parse_tail(str(count)) == count
    assert parse_tail(f" {count} ") == count


@given(st.sampled_from(["all", "ALL", "All", " all "]))
def test_all_means_no_limit(text: str) -> None:
    assert parse_tail(text) is None
    assert parse_tail(None) is None


@given(st.integers(max_value=-1))
def test_a_negative_count_is_refused(count: int) -> None:
    with pytest.raises(UsageError) as refused:
        parse_tail(str(count))
    assert "negative" in refused.value.one_line()
    assert "\n" not in refused.value.one_line()


@given(st.text().filter(lambda t: not re.fullmatch(r"\s*([0-9]+|(?i:all))\s*", t)))
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(UsageError) as refused:
        parse_tail(text)
    assert "--tail" in refused.value.one_line()


def test_logs_tail_against_the_router(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with running(version="7.21.5", delays={"extract": 0.02, "start": 0.01, "stop": 0.01}) as sim:
        monkeypatch.setenv("MIKRODOCK_PASSWORD", sim.password)
        router = ("-H", sim.url)
        code, _out, err = cli(
            "run", "-d", "--name", "hi", *router, "hello-world", "echo", "hello", "there"
        )
        assert code == 0, err
        code, _out, err = cli("restart", "hi", *router)
        assert code == 0, err

        def two_runs() -> list[str]:
            code, out, _err = cli("logs", "hi", *router)
            assert code == 0
            lines: list[str] = out.splitlines()
            return lines if lines.count("hello there") == 2 else []

        every = wait_until(two_runs)
        assert every == ["started", "hello there", "started", "hello there"]
        assert cli("logs", "hi", "--tail", "all", *router)[1].splitlines() == every
        assert cli("logs", "hi", "--tail", "3", *router)[1].splitlines() == every[-3:]
        assert cli("logs", "hi", "-n", "0", *router)[1] == ""

        log_before = httpx.get(f"{sim.url}/rest/log", auth=(sim.user, sim.password)).json()
        for bad in ("-3", "-1", "ten", "3.5"):
            code, out, err = cli("logs", "hi", "--tail", bad, *router)
            assert (code, out) == (2, ""), bad
            assert len(err.strip().splitlines()) == 1
            assert "--tail" in err and "all" in err
        log_after = httpx.get(f"{sim.url}/rest/log", auth=(sim.user, sim.password)).json()
        assert log_after == log_before
