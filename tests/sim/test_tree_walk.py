"""Every item menu of every version's command tree serves add, print, set and remove.

In process (no HTTP), through :meth:`SimRouter.call`, the way every front end reaches the
router: an ``add`` with a valid value for each argument the live router requires, then the
new item in ``print``, a ``set`` of its comment, and ``remove``. No answer may be anything but
a result or a RouterOS error, and these must all succeed. The router has every extra package
installed, so their menus are walked too.
"""

from __future__ import annotations

import asyncio

import pytest

from mikrodock.routeros.version import parse_version
from mikrodock.sim.argtypes import parse_type
from mikrodock.sim.base import SimError
from mikrodock.sim.router import SimOptions, SimRouter
from mikrodock.sim.tree import facts_versions, tree_for

_REFERENCES = dict.fromkeys(
    ("interface", "in-interface", "out-interface", "master-interface"), "ether1"
)


def _required_args(router: SimRouter, menu: str, counter: int) -> dict[str, str]:
    types = router.arg_types(menu, "add")
    node = router.tree.menu(tuple(menu.split("/")))
    assert node is not None
    args: dict[str, str] = {}
    for name in node.required:
        if name not in types:
            continue
        kind = parse_type(types[name])
        if name in _REFERENCES:
            args[name] = _REFERENCES[name]
        elif kind.kind in ("any", "string") and name == "name":
            args[name] = f"walk{counter}"
        else:
            args[name] = kind.sample()
    return args


async def _walk(version: str) -> list[str]:
    every_package = tree_for(version).extra_packages()
    router = SimRouter(SimOptions(version=parse_version(version), extra_packages=every_package))
    failures: list[str] = []
    menus = ["/".join(path) for path in router.tree.menus()]
    for counter, menu in enumerate(menus):
        spec = router.spec(menu)
        if spec is None or not spec.generic or spec.kind != "list":
            continue
        if router.args(menu, "add") is None:
            continue
        path = tuple(menu.split("/"))
        args = _required_args(router, menu, counter)
        try:
            made = await router.call(path, "add", args)
            item_id = made["ret"]
            printed = await router.call(path, "print", {})
            assert item_id in [row[".id"] for row in printed], menu
            if router.args(menu, "set") is not None and "comment" in (
                router.args(menu, "set") or ()
            ):
                await router.call(path, "set", {"numbers": item_id, "comment": "walked"})
                got = await router.call(path, "get", {"number": item_id, "value-name": "comment"})
                assert got == {"ret": "walked"}, menu
            if router.args(menu, "remove") is not None:
                await router.call(path, "remove", {".id": item_id})
        except SimError as error:
            assert error.status < 500, (menu, error.detail)
            failures.append(f"{menu}: {error.detail}")
    return failures


@pytest.mark.parametrize("version", facts_versions())
def test_every_item_menu_adds_prints_sets_and_removes(version: str) -> None:
    failures = asyncio.run(_walk(version))
    assert failures == []
