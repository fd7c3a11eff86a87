"""Shared pieces of the simulator: the REST error, the menu description, value spelling.

A :class:`MenuSpec` says what one menu is (a list of items, a singleton, or only commands),
which package brings it, and which hooks give it behaviour beyond plain storage. The modules
that know a menu (containers, files, logs, ...) build its spec; :mod:`mikrodock.sim.menus`
collects them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from mikrodock.sim.state import Item

if TYPE_CHECKING:
    from mikrodock.sim.router import SimRouter

__all__ = [
    "BOOL_ARGS",
    "CommandHandler",
    "MenuSpec",
    "RestError",
    "SimError",
    "bad_request",
    "normalize",
    "to_text",
]


class SimError(Exception):
    """A RouterOS-level error: what the router answers instead of a result.

    ``status`` is the HTTP status the REST API gives it (400 for nearly everything RouterOS
    refuses, 404 for a missing item, 401 for a failed login); ``detail`` is RouterOS's text
    (``no such command or directory (x)``, ``unknown parameter x``, ``missing =x=``,
    ``input does not match any value of x``, ``failure: ...``); :attr:`category` names the
    kind of error for protocols without HTTP statuses.
    """

    def __init__(self, status: int, detail: str = "") -> None:
        super().__init__(detail or str(status))
        self.status = status
        self.detail = detail

    @property
    def category(self) -> str:
        """``bad-request``, ``not-found``, ``unauthorized`` or ``failure``."""
        return {400: "bad-request", 401: "unauthorized", 404: "not-found"}.get(
            self.status, "failure"
        )

    @property
    def message(self) -> str:
        return {
            400: "Bad Request",
            401: "Unauthorized",
            404: "Not Found",
            406: "Not Acceptable",
            500: "Internal Server Error",
        }.get(self.status, "Error")

    def body(self) -> dict[str, object]:
        body: dict[str, object] = {"error": self.status, "message": self.message}
        if self.detail:
            body["detail"] = self.detail
        return body


RestError = SimError
"""The name the menu modules use for :class:`SimError`."""


def bad_request(detail: str) -> RestError:
    return RestError(400, detail)


CommandHandler = Callable[["SimRouter", dict[str, str]], "Any | Awaitable[Any]"]
"""A menu command: gets the (string) arguments, returns the JSON answer (may be async)."""

ItemHook = Callable[["SimRouter", Item], None]
SetHook = Callable[["SimRouter", Item, dict[str, str]], None]


@dataclass
class MenuSpec:
    """What one menu of the simulated router is and does."""

    name: str
    kind: Literal["list", "singleton", "commands"] = "list"
    package: str = "routeros"
    writable: bool = True
    unique: str | None = None
    defaults: Callable[[SimRouter], Item] | None = None
    """Fields a new item starts with, before the request's arguments."""
    seed: Callable[[SimRouter], list[Item]] | None = None
    """Items a fresh router has (lists) or its one object (singletons)."""
    on_add: ItemHook | None = None
    on_set: SetHook | None = None
    on_remove: ItemHook | None = None
    view: Callable[[SimRouter, Item], Item] | None = None
    """Computed fields: gets the stored item (``_`` keys included), returns a new dict."""
    source: Callable[[SimRouter], list[Item]] | None = None
    records: Callable[[SimRouter, str], tuple[str, Item] | None] | None = None
    """For a computed menu that shows other menus' records (``/interface``): the menu and
    stored item a ``*ID`` or name stands for; set, enable, disable, comment write there."""
    commands: dict[str, CommandHandler] = field(default_factory=dict)
    builtin_args: Mapping[str, frozenset[str]] | None = None
    gated: bool = False
    """Writes need device-mode container=yes (the /container family)."""
    generic: bool = False
    """Known only from the command tree (plain storage, references checked)."""


BOOL_ARGS = frozenset(
    {
        "disabled",
        "logging",
        "start-on-boot",
        "read-only",
        "check-certificate",
        "dhcp",
        "use-https",
        "auto-update",
        "log",
        "dynamic",
        "invalid",
        "running",
        "keep-result",
        "ascii",
        "stop-on-unhealthy",
        "privileged",
        "container",
        "fetch",
        "scheduler",
        "bandwidth-test",
        "email",
        "hotspot",
        "ipsec",
        "l2tp",
        "pptp",
        "proxy",
        "romon",
        "smb",
        "sniffer",
        "socks",
        "traffic-gen",
        "zerotier",
        "flagged",
        "flagging-enabled",
        "install-any-version",
        "partitions",
        "routerboard",
        "default",
        "interactive",
        "tty",
        "detach",
        "no-sh",
    }
)
"""Arguments RouterOS shows as ``true``/``false`` whatever spelling came in."""

_TRUE = {"yes", "true", "on"}
_FALSE = {"no", "false", "off"}


def to_text(value: object) -> str:
    """A JSON request value as RouterOS keeps it: a string."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(to_text(part) for part in value)
    return str(value)


def normalize(key: str, value: object) -> str:
    """``to_text`` plus yes/no -> true/false for boolean arguments (400 on a bad boolean)."""
    text = to_text(value)
    if key in BOOL_ARGS:
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return "true"
        if lowered in _FALSE:
            return "false"
        raise bad_request(f"input does not match any value of {key}")
    return text
