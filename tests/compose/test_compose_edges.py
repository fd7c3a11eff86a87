"""`compose` against the simulator over real HTTP: router options before or after the
subcommand (the subcommand's win), and `compose logs` in /app mode (RouterOS 7.22+) printing
the app's containers' lines from /log like containers mode does."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mikrodock.sim import Simulator, running
from mikrodock.testing.sim_fixtures import wait_until

COMPOSE = """\
name: shop
services:
  web:
    image: nginx:1.27
    ports: ["8080:80"]
  db:
    image: postgres:16
"""
UNREACHABLE = "http://127.0.0.1:9"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with running(version="7.22.3", delays={"extract": 0.02, "start": 0.01, "stop": 0.01}) as s:
        yield s


@pytest.fixture
def compose_file(tmp_path: Path) -> str:
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    return str(tmp_path / "compose.yaml")


def rest(sim: Simulator, menu: str) -> list[dict[str, str]]:
    response = httpx.get(f"{sim.url}/rest/{menu}", auth=(sim.user, sim.password))
    response.raise_for_status()
    data: list[dict[str, str]] = response.json()
    return data


def test_router_options_before_or_after_the_subcommand(
    sim: Simulator,
    compose_file: str,
    run_cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MIKRODOCK_PASSWORD", sim.password)
    before = ("compose", "-f", compose_file, "-H", sim.url, "--router-user", sim.user)
    code, out, err = run_cli(*before, "up", "-d", "--json")
    assert code == 0, err
    assert json.loads(out)["mode"] == "app"

    after = ("-H", sim.url, "--router-user", sim.user)
    code, out, err = run_cli("compose", "-f", compose_file, "ps", "--json", *after)
    assert code == 0, err
    assert sorted(row["service"] for row in json.loads(out)) == ["db", "web"]

    # both given: the subcommand's router wins, whichever way round
    code, out, err = run_cli(
        "compose", "-f", compose_file, "-H", UNREACHABLE, "ps", "--json", *after
    )
    assert code == 0, err
    code, _out, err = run_cli("compose", "-f", compose_file, *after, "ps", "-H", UNREACHABLE)
    assert code == 2 and "127.0.0.1:9" in err

    # the password from stdin, asked for after the subcommand
    monkeypatch.delenv("MIKRODOCK_PASSWORD")
    monkeypatch.setattr("sys.stdin", io.StringIO(sim.password + "\n"))
    code, _out, err = run_cli("compose", "-f", compose_file, "down", *after, "--password-stdin")
    assert code == 0, err
    assert not [a for a in rest(sim, "app") if a.get("name") == "shop"]


def test_logs_in_app_mode_print_the_app_containers_lines(
    sim: Simulator,
    compose_file: str,
    run_cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MIKRODOCK_PASSWORD", sim.password)
    base = ("compose", "-f", compose_file, "-H", sim.url)
    code, out, err = run_cli(*base, "up", "-d", "--json")
    assert code == 0 and json.loads(out)["mode"] == "app", err
    # up kept topic container in the log, with the rule `run` adds
    assert any(r.get("comment") == "mikrodock:shared:logging" for r in rest(sim, "system/logging"))

    code, out, err = run_cli(*base, "logs", "--json")
    assert code == 0, err
    assert {line["service"] for line in json.loads(out)} == {"db", "web"}

    # the app's containers are ordinary containers: restarting one logs it anew
    code, _out, err = run_cli("restart", "shop-web", "-H", sim.url)
    assert code == 0, err

    def web_lines() -> list[dict[str, str]]:
        code, out, _err = run_cli(*base, "logs", "--json")
        assert code == 0
        found: list[dict[str, str]] = json.loads(out)
        return found if len([ln for ln in found if ln["service"] == "web"]) >= 2 else []

    lines = wait_until(web_lines)
    per_service = {s: [ln for ln in lines if ln["service"] == s] for s in ("db", "web")}

    code, out, _err = run_cli(*base, "logs", "--tail", "1", "--json")
    assert code == 0
    last = json.loads(out)
    assert sorted(line["service"] for line in last) == ["db", "web"]
    for line in last:
        assert line["message"] == per_service[line["service"]][-1]["message"]

    code, out, _err = run_cli(*base, "logs", "--tail", "all", "--since", "1h", "--json")
    assert code == 0 and json.loads(out) == lines

    code, out, _err = run_cli(*base, "logs", "-n", "1", "-t")
    assert code == 0
    shown = out.splitlines()
    assert len(shown) == 2
    for text in shown:
        assert re.fullmatch(r"(db|web) \| \d{4}-\d\d-\d\d \d\d:\d\d:\d\d .+", text), text

    code, out, err = run_cli(*base, "logs", "--tail", "-3")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [err.strip()]
    assert "--tail '-3' is negative" in err

    # down removes the app, and with it its containers
    code, _out, err = run_cli(*base, "down")
    assert code == 0, err
    assert not [c for c in rest(sim, "container") if c.get("name", "").startswith("shop-")]


def test_prune_keeps_the_logging_rule_an_app_still_needs(
    sim: Simulator,
    compose_file: str,
    run_cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MIKRODOCK_PASSWORD", sim.password)
    base = ("compose", "-f", compose_file, "-H", sim.url)
    assert run_cli(*base, "up", "-d")[0] == 0

    def rule_ids() -> list[str]:
        return [
            r[".id"]
            for r in rest(sim, "system/logging")
            if r.get("comment") == "mikrodock:shared:logging"
        ]

    [rule] = rule_ids()
    # no container made by `run` is left, but the app's services still log through the rule
    code, _out, err = run_cli("system", "prune", "-f", "-H", sim.url)
    assert code == 0, err
    assert rule_ids() == [rule]

    assert run_cli(*base, "down")[0] == 0
    code, _out, err = run_cli("system", "prune", "-f", "-H", sim.url)
    assert code == 0, err
    assert rule_ids() == []
