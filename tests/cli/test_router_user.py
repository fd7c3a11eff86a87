"""The router user is spelled `--router-user` on every command that talks to a router (help
shows it; `-u` stays docker's container user on run/create), and it is the user sent.
The older `-u/--user` still works, unshown, where `-u` means nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mikrodock.cli.root import root
from mikrodock.sim import Simulator, running


def _router_commands() -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []

    def walk(group: Any, prefix: str) -> None:
        if "--host" in {o for p in group.params for o in p.opts}:
            found.append((prefix, group))  # a command, or a group taking them (compose)
        for name, sub in sorted(getattr(group, "commands", {}).items()):
            walk(sub, f"{prefix} {name}".strip())

    walk(root.load_all(), "")
    return found


COMMANDS = _router_commands()


def test_the_router_commands_are_found() -> None:
    names = {name for name, _cmd in COMMANDS}
    for expected in ("run", "create", "ps", "logs", "exec", "info", "compose", "compose up"):
        assert expected in names


@pytest.mark.parametrize("command", [c for _n, c in COMMANDS], ids=[n for n, _c in COMMANDS])
def test_help_names_the_router_user_router_user(command: Any) -> None:
    shown = {o for p in command.params if not getattr(p, "hidden", False) for o in p.opts}
    assert "--router-user" in shown
    user_params = [p for p in command.params if "--user" in p.opts]
    for param in user_params:  # only docker's container user may show as --user
        assert param.hidden or (command.name in ("run", "create") and param.name == "user")


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with running(version="7.21.5", user="ops") as simulator:
        yield simulator


def test_router_user_is_the_user_sent(
    cli: Any, sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIKRODOCK_PASSWORD", sim.password)
    code, out, err = cli("info", "-H", sim.url, "--router-user", "ops", "--json")
    assert code == 0, err
    assert '"version": "7.21.5"' in out
    code, _out, err = cli("ps", "-H", sim.url, "--router-user", "ops")
    assert code == 0, err
    # without it, the default user admin is refused by this router
    code, _out, err = cli("info", "-H", sim.url)
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_old_user_spelling_still_works_where_free(
    cli: Any, sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIKRODOCK_PASSWORD", sim.password)
    for flag in ("--user", "-u"):
        code, _out, err = cli("info", "-H", sim.url, flag, "ops", "--json")
        assert code == 0, err
    code, _out, err = cli("info", "-H", sim.url, "--user", "ops", "--router-user", "admin")
    assert code == 2
    assert "--router-user and --user both given" in err
