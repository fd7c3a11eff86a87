"""``/user``: who may log in. The REST API's Basic auth is checked against this menu.

A fresh router has one user (``admin`` unless told otherwise) in group ``full``, with the
password the simulator was started with; ``/user/set numbers=admin password=...`` changes it
for the next request, as on RouterOS. Passwords are kept in the item's ``_password`` and never
shown. With a state file, the user and password given at start-up override the stored ones.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from mikrodock.sim.base import MenuSpec, bad_request
from mikrodock.sim.state import Item

if TYPE_CHECKING:
    from mikrodock.sim.router import SimRouter

__all__ = ["check_login", "ensure_user", "specs"]

_GROUPS = ("full", "write", "read")
_FIELDS = frozenset({"name", "group", "password", "comment", "disabled", "address"})


def check_login(router: SimRouter, name: str, password: str) -> bool:
    """Whether ``name``/``password`` may log in (constant-time on the password)."""
    with router.state.lock:
        for user in router.state.menu("user").items:
            if user.get("name") == name and user.get("disabled") != "true":
                return secrets.compare_digest(user.get("_password", "").encode(), password.encode())
    return False


def ensure_user(router: SimRouter, name: str, password: str) -> None:
    """Make ``name`` a full user with ``password`` (creating it when missing)."""
    with router.state.lock:
        menu = router.state.menu("user")
        user = next((u for u in menu.items if u.get("name") == name), None)
        if user is None:
            user = menu.add(
                {"name": name, "group": "full", "disabled": "false", "last-logged-in": ""}
            )
        user["_password"] = password
        user["disabled"] = "false"
        router.state.touch()


def _on_add(router: SimRouter, item: Item) -> None:
    if not item.get("name"):
        raise bad_request("missing =name=")
    if item.get("group") not in _GROUPS:
        raise bad_request("input does not match any value of group")
    item["_password"] = item.pop("password", "")


def _on_set(router: SimRouter, item: Item, props: dict[str, str]) -> None:
    if "group" in props and props["group"] not in _GROUPS:
        raise bad_request("input does not match any value of group")
    if "password" in props:
        item["_password"] = props.pop("password")


def specs() -> list[MenuSpec]:
    return [
        MenuSpec(
            "user",
            unique="name",
            defaults=lambda router: {"group": "", "disabled": "false", "last-logged-in": ""},
            on_add=_on_add,
            on_set=_on_set,
            builtin_args={
                "add": _FIELDS,
                "set": _FIELDS | {"numbers"},
                "remove": frozenset({"numbers"}),
                "print": frozenset({"proplist", "where"}),
                "enable": frozenset({"numbers"}),
                "disable": frozenset({"numbers"}),
            },
        )
    ]
