"""The protocol-neutral core: one RouterOS command on the simulated router.

:meth:`Engine.call` (reached as :meth:`mikrodock.sim.router.SimRouter.call`) runs ``command``
of the menu at ``path`` with string arguments, the way a RouterOS console, the REST API and
the binary API all end up doing. Menus with hand-written behaviour (containers, files, ...)
use their :class:`~mikrodock.sim.base.MenuSpec` hooks; every other menu of the version's
command tree (:mod:`mikrodock.sim.tree`) is plain storage driven by the tree: ``add`` on
menus that have it, ``set``/``print``/``get``/``unset``/``enable``/... on items and
singletons, and an empty success for any other command once its arguments check out.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mikrodock.routeros.api_query import QueryError, apply_proplist, compile_query, parse_proplist
from mikrodock.sim import records
from mikrodock.sim.argtypes import ArgError, parse_type
from mikrodock.sim.base import MenuSpec, SimError, bad_request, normalize, to_text
from mikrodock.sim.state import Item, public

if TYPE_CHECKING:
    from mikrodock.sim.router import SimRouter

__all__ = ["Engine"]

_READS = frozenset({"print", "get", "find", "export"})
_NUMBERS = ("numbers", "number", ".id")


class Engine:
    """Runs commands on one :class:`SimRouter` (see :meth:`call`)."""

    def __init__(self, router: SimRouter) -> None:
        self.router = router

    async def call(self, path: tuple[str, ...], command: str, args: Mapping[str, object]) -> Any:
        """Run ``command`` of menu ``path``; see :meth:`SimRouter.call` for the contract."""
        menu = "/".join(path)
        spec = self.spec(menu)
        return await self.command(spec.name, command, dict(args))

    def spec(self, menu: str) -> MenuSpec:
        spec = self.router.spec(menu)
        if spec is None:
            raise SimError(400, f"no such command or directory ({self.first_unknown(menu)})")
        return spec

    def first_unknown(self, menu: str) -> str:
        """The first word of ``menu`` this router lacks (RouterOS names that one)."""
        parts = tuple(part for part in menu.split("/") if part)
        tree = self.router.tree
        for end in range(1, len(parts) + 1):
            prefix = parts[:end]
            if tree.menu(prefix) is None or not self.router.package_installed(
                tree.package_of(prefix)
            ):
                return parts[end - 1]
        return parts[-1] if parts else ""

    # --- items and menus ---------------------------------------------------------------
    def view(self, spec: MenuSpec, item: Item) -> Item:
        """The item as a client sees it (view hooks get the raw item and return a new one)."""
        return public(spec.view(self.router, item) if spec.view else item)

    def items(self, spec: MenuSpec) -> list[Item]:
        if spec.source is not None:
            return spec.source(self.router)
        with self.router.state.lock:
            if spec.kind == "singleton":
                return [self.view(spec, self.router.state.singleton(spec.name))]
            return [self.view(spec, item) for item in self.router.state.menu(spec.name).items]

    def find(self, spec: MenuSpec, key: str) -> Item | None:
        """The stored item with ``.id`` (or, failing that, ``name``) ``key``."""
        if spec.records is not None:
            found_record = spec.records(self.router, key)
            return found_record[1] if found_record is not None else None
        if spec.kind != "list" or spec.source is not None:
            return None
        menu = self.router.state.menu(spec.name)
        found = menu.find(key) if key.startswith("*") else None
        if found is None:
            found = next((i for i in menu.items if i.get("name") == key), None)
        return found

    def find_view(self, spec: MenuSpec, key: str) -> Item | None:
        """The item as printed, by ``.id`` or name (computed menus included)."""
        if spec.source is not None and spec.kind == "list":
            rows = spec.source(self.router)
            return next((i for i in rows if key in (i.get(".id"), i.get("name"))), None)
        found = self.find(spec, key)
        return self.view(spec, found) if found is not None else None

    def check_args(self, spec: MenuSpec, command: str, args: Mapping[str, Any]) -> Item:
        """The arguments as RouterOS keeps them; 400 for an unknown one or a bad value."""
        known = self.router.args(spec.name, command)
        if known is None:
            raise bad_request("no such command")
        types = self.router.arg_types(spec.name, command)
        out: Item = {}
        for key, value in args.items():
            if key.startswith("."):
                continue
            if key not in known:
                raise bad_request(f"unknown parameter {key}")
            text = to_text(value)
            kind = types.get(key)
            try:
                out[key] = parse_type(kind).check(key, text) if kind else normalize(key, text)
            except ArgError as error:
                raise bad_request(str(error)) from None
        return out

    def add_item(self, spec: MenuSpec, args: Mapping[str, Any]) -> Item:
        if not spec.writable:
            raise bad_request("no such command")
        props = self.check_args(spec, "add", args)
        props.pop("copy-from", None)
        self.router.check_device_mode(spec.name)
        with self.router.state.lock:
            item: Item = spec.defaults(self.router) if spec.defaults else {}
            item.update(props)
            if spec.generic:
                records.check_required(self.router, spec, item)
            if spec.generic or spec.name in records.CHECKED_MENUS:
                records.check_references(self.router, item)
            self._check_unique(spec, item, None)
            if spec.on_add:
                spec.on_add(self.router, item)
            self.router.state.menu(spec.name).add(item)
            self.router.state.touch()
            return self.view(spec, item)

    def set_item(self, spec: MenuSpec, item: Item, args: Mapping[str, Any]) -> Item:
        if not spec.writable and spec.records is None:
            raise bad_request("no such command")
        props = self.check_args(spec, "set", args)
        for key in _NUMBERS:
            props.pop(key, None)
        if spec.records is not None:
            return self._set_record(spec, item, props)
        self.router.check_device_mode(spec.name)
        with self.router.state.lock:
            if spec.generic or spec.name in records.CHECKED_MENUS:
                records.check_references(self.router, props)
            if spec.on_set:
                spec.on_set(self.router, item, props)
            merged = {**item, **props}
            self._check_unique(spec, merged, item)
            item.update(props)
            self.router.state.touch()
            return self.view(spec, item)

    def _set_record(self, spec: MenuSpec, item: Item, props: Item) -> Item:
        """``set`` on a menu of other menus' records: the record's own menu takes it."""
        found = spec.records(self.router, item.get("name", "")) if spec.records else None
        owner = self.router.spec(found[0]) if found is not None else None
        if found is None or owner is None:
            raise bad_request("no such item")
        self.set_item(owner, found[1], props)
        shown = self.find_view(spec, found[1].get("name", ""))
        return shown if shown is not None else self.view(owner, found[1])

    def remove_item(self, spec: MenuSpec, item: Item) -> None:
        if not spec.writable or self.router.args(spec.name, "remove") is None:
            # MikroTik's REST manual: deleting an interface answers 406 Not Acceptable
            raise SimError(406, "no such command or directory (remove)")
        self.router.check_device_mode(spec.name)
        with self.router.state.lock:
            if spec.on_remove:
                spec.on_remove(self.router, item)
            self.router.state.menu(spec.name).remove(item)
            self.router.state.touch()

    def _check_unique(self, spec: MenuSpec, item: Item, own: Item | None) -> None:
        key = spec.unique or ("name" if spec.name in records.INTERFACE_KINDS else None)
        if not key or not item.get(key):
            return
        if key == "name" and spec.name in records.INTERFACE_KINDS:
            # one namespace for every kind of interface; RouterOS's wording
            menus = [m for m in records.INTERFACE_KINDS if m in self.router.state.menus]
            detail = "failure: already have interface with such name"
        else:
            menus, detail = [spec.name], f"failure: already have such {key}"
        for menu in menus:
            for other in self.router.state.menu(menu).items:
                if other is not own and other.get(key) == item[key]:
                    raise bad_request(detail)

    def resolve(self, spec: MenuSpec, numbers: str) -> list[Item]:
        """Items named by a ``numbers`` argument: ``*ID``s or names, comma separated."""
        if spec.kind != "list":
            raise bad_request("no such item")
        out: list[Item] = []
        for word in (part.strip() for part in numbers.split(",")):
            if not word:
                continue
            found = self.find(spec, word)
            if found is None:
                raise bad_request("no such item")
            out.append(found)
        return out

    # --- commands ------------------------------------------------------------------------
    async def command(self, menu: str, command: str, args: dict[str, Any]) -> Any:
        spec = self.spec(menu)
        if ".id" in args and not any(k in args for k in ("numbers", "number")):
            known = self.router.args(spec.name, command) or frozenset()
            for name in ("numbers", "number"):
                if name in known:  # RouterOS takes .id wherever a command takes numbers
                    args[name] = args[".id"]
                    break
        self.check_args(spec, command, args)
        if command not in _READS:
            self.router.check_device_mode(menu)
        handler = spec.commands.get(command)
        if handler is not None:
            text_args = {k: normalize(k, v) for k, v in args.items() if not k.startswith(".")}
            with self.router.state.lock:  # an async handler only starts here; it locks itself
                result = handler(self.router, text_args)
            if inspect.isawaitable(result):
                result = await result
            self.router.state.touch()
            return result
        return self._generic_command(spec, command, args)

    def print(self, spec: MenuSpec, args: Mapping[str, Any]) -> Any:
        """``print``: ``from`` (items by ``*ID`` or name), ``.query``, then ``.proplist``
        (or ``proplist``); ``count-only`` answers the count. The options that only change how
        the console renders (``detail``, ``terse``, ``without-paging``, ``brief``,
        ``show-ids``, ``as-value``, ...) were checked against the tree and change nothing."""
        try:
            predicate = compile_query(args.get(".query"))
        except QueryError as error:
            raise bad_request(str(error)) from None
        proplist = parse_proplist(args.get(".proplist") or args.get("proplist"))
        rows = self.items(spec)
        wanted = [w.strip() for w in to_text(args.get("from", "")).split(",") if w.strip()]
        if wanted and spec.kind != "singleton":
            picked = []
            for word in wanted:
                row = next((r for r in rows if word in (r.get(".id"), r.get("name"))), None)
                if row is None:
                    raise bad_request("no such item")
                picked.append(id(row))
            rows = [r for r in rows if id(r) in picked]
        found = [apply_proplist(i, proplist) for i in rows if predicate(i)]
        if spec.kind == "singleton":
            return found[0] if found else {}
        if to_text(args.get("count-only", "false")) in ("", "true", "yes"):
            return {"ret": str(len(found))}
        return found

    def _generic_command(self, spec: MenuSpec, command: str, args: dict[str, Any]) -> Any:
        if command == "print":
            return self.print(spec, args)
        if command == "get":
            item = self.items(spec)[0] if spec.kind == "singleton" else None
            if item is None:
                stored = self.resolve(spec, to_text(args.get("number", "")))[0]
                shown = self.find_view(spec, stored.get("name", "")) if spec.records else None
                item = shown if shown is not None else self.view(spec, stored)
            name = to_text(args.get("value-name", ""))
            if name not in item and name not in records.readable(self.router, spec):
                raise bad_request(f"no such property {name}")
            return {"ret": item.get(name, "")}
        if command == "add":
            return {"ret": self.add_item(spec, args)[".id"]}
        if command == "find":
            return {"ret": ";".join(i.get(".id", "") for i in self.items(spec))}
        if command == "export":
            return {"ret": records.export(self, spec)}
        if spec.kind == "singleton" and command in ("set", "reset", "unset"):
            with self.router.state.lock:
                item = self.router.state.singleton(spec.name)
                if command == "set":
                    self.set_item(spec, item, args)
                else:
                    records.reset(self.router, spec, item, args, command)
                    self.router.state.touch()
            return []
        if command not in records.ITEM_COMMANDS:
            return []  # a command the simulator has no behaviour for: its args checked out
        numbers = to_text(args.get("numbers") or args.get("number") or "")
        with self.router.state.lock:
            targets = self.resolve(spec, numbers)
            for item in targets:
                if command == "set":
                    self.set_item(spec, item, args)
                elif command == "remove":
                    self.remove_item(spec, item)
                elif command in ("enable", "disable"):
                    self.set_item(spec, item, {"disabled": command == "disable"})
                elif command == "comment":
                    self.set_item(spec, item, {"comment": args.get("comment", "")})
                elif command in ("unset", "reset"):
                    records.reset(self.router, spec, item, args, command)
                    self.router.state.touch()
                elif command == "move":
                    records.move(self.router, spec, item, to_text(args.get("destination", "")))
        return []
