"""``/log`` and ``/system/logging``: what the router remembers, and which topics it keeps.

A fresh router has the four default rules (``info``, ``error``, ``warning``, ``critical`` to
memory). Entries whose topics include ``container`` are kept only when an enabled rule names
the ``container`` topic (as the container docs warn: add ``/system/logging topics=container``).
The memory log keeps the newest 1000 entries, like RouterOS's default ``memory-lines``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from mikrodock.sim.base import CommandHandler, MenuSpec, bad_request
from mikrodock.sim.state import Item

if TYPE_CHECKING:
    from mikrodock.sim.router import SimRouter

__all__ = ["append", "covers", "specs"]

MEMORY_LINES = 1000

_GATED_TOPICS = ("container",)


def covers(router: SimRouter, topic: str) -> bool:
    """Whether an enabled ``/system/logging`` rule names ``topic``."""
    for rule in router.state.menu("system/logging").items:
        if rule.get("disabled") == "true":
            continue
        topics = [t.strip() for t in rule.get("topics", "").split(",")]
        if topic in topics and f"!{topic}" not in topics:
            return True
    return False


def append(router: SimRouter, topics: str, message: str, when: float | None = None) -> bool:
    """Add a ``/log`` entry unless no rule keeps its topics; True when it was kept."""
    names = topics.split(",")
    for gated in _GATED_TOPICS:
        if gated in names and not covers(router, gated):
            return False
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when or router.now()))
    with router.state.lock:
        menu = router.state.menu("log")
        menu.add({"time": stamp, "topics": topics, "message": message})
        if len(menu.items) > MEMORY_LINES:
            del menu.items[: len(menu.items) - MEMORY_LINES]
        router.state.touch()
    return True


def _logger(level: str) -> CommandHandler:
    def command(router: SimRouter, args: dict[str, str]) -> list[object]:
        if not args.get("message"):
            raise bad_request("missing =message=")
        append(router, f"script,{level}", args["message"])
        return []

    return command


def _seed_rules(router: SimRouter) -> list[Item]:
    return [
        {
            "topics": topic,
            "action": "memory",
            "prefix": "",
            "regex": "",
            "disabled": "false",
            "invalid": "false",
            "default": "true",
        }
        for topic in ("info", "error", "warning", "critical")
    ]


def _rule_defaults(router: SimRouter) -> Item:
    return {
        "topics": "",
        "action": "memory",
        "prefix": "",
        "regex": "",
        "disabled": "false",
        "invalid": "false",
        "default": "false",
    }


def _seed_actions(router: SimRouter) -> list[Item]:
    return [
        {"name": name, "target": name, "default": "true"}
        for name in ("memory", "disk", "echo", "remote")
    ]


def _check_action(router: SimRouter, item: Item) -> None:
    actions = {a.get("name") for a in router.state.menu("system/logging/action").items}
    if item.get("action") not in actions:
        raise bad_request("input does not match any value of action")


def _protect_default(router: SimRouter, item: Item) -> None:
    if item.get("default") == "true":
        raise bad_request("failure: default item can not be removed")


def specs() -> list[MenuSpec]:
    return [
        MenuSpec(
            "log",
            writable=False,
            commands={level: _logger(level) for level in ("info", "warning", "error", "debug")},
        ),
        MenuSpec(
            "system/logging",
            defaults=_rule_defaults,
            seed=_seed_rules,
            on_add=_check_action,
            on_remove=_protect_default,
        ),
        MenuSpec(
            "system/logging/action",
            unique="name",
            seed=_seed_actions,
            defaults=lambda router: {"target": "memory", "default": "false"},
            on_remove=_protect_default,
        ),
    ]
