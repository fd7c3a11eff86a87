"""RouterOS REST semantics over the simulated router, without HTTP.

``GET /rest/<menu>`` prints (array; an object for singletons), ``GET /rest/<menu>/*ID`` gives
one item, ``PUT`` adds, ``PATCH`` sets, ``DELETE`` removes, ``POST /rest/<menu>/<command>``
runs a command and ``POST /rest/execute`` a script. Arguments a version lacks give
``400 unknown parameter X``; missing menus and items give ``404``. The server module turns a
:class:`Reply` into an HTTP response.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

from mikrodock.sim import script
from mikrodock.sim.base import MenuSpec, RestError, bad_request, normalize
from mikrodock.sim.query import apply_proplist, compile_query, parse_proplist
from mikrodock.sim.router import SimRouter
from mikrodock.sim.state import Item, public

__all__ = ["Reply", "Rest"]

_READS = frozenset({"print", "get", "find", "export"})


@dataclass
class Reply:
    status: int
    body: Any = None
    """JSON-able body; None for an empty body."""


class Rest:
    """Answers REST requests for one :class:`SimRouter`."""

    def __init__(self, router: SimRouter) -> None:
        self.router = router

    @property
    def _add_status(self) -> int:
        # RouterOS answers an add with 201 from 7.19 on (seen in captures), 200 before.
        return 201 if self.router.version.series >= (7, 19) else 200

    async def handle(self, method: str, path: str, params: dict[str, str], body: Any) -> Reply:
        """Answer ``method`` on ``/rest/<path>``; never raises for RouterOS-level errors."""
        try:
            self.router.advance()
            return await self._dispatch(method.upper(), path.strip("/"), params, body)
        except RestError as error:
            return Reply(error.status, error.body())
        finally:
            self.router.state.save_if_dirty()

    async def _dispatch(self, method: str, path: str, params: dict[str, str], body: Any) -> Reply:
        if path == "execute" and method == "POST":
            args = _as_args(body)
            return Reply(200, {"ret": await script.run(self, args.get("script", ""))})
        parts = [part for part in path.split("/") if part]
        if not parts:
            raise RestError(404)
        if parts[-1].startswith("*") and len(parts) > 1:
            menu = "/".join(parts[:-1])
            spec = self._spec(menu)
            return self._on_item(method, spec, parts[-1], params, body)
        menu = "/".join(parts)
        if self.router.available(menu):
            return self._on_menu(method, self.router.specs[menu], params, body)
        if method == "POST" and len(parts) > 1:
            parent = "/".join(parts[:-1])
            if self.router.available(parent):
                return Reply(200, await self.command(parent, parts[-1], _as_args(body)))
        raise RestError(404)

    def _spec(self, menu: str) -> MenuSpec:
        if not self.router.available(menu):
            raise RestError(404)
        return self.router.specs[menu]

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

    def find(self, spec: MenuSpec, item_id: str) -> Item:
        if spec.kind != "list" or spec.source is not None:
            raise RestError(404)
        item = self.router.state.menu(spec.name).find(item_id)
        if item is None:
            raise RestError(404)
        return item

    def _on_item(
        self, method: str, spec: MenuSpec, item_id: str, params: dict[str, str], body: Any
    ) -> Reply:
        if spec.source is not None and spec.kind == "list" and method == "GET":
            computed = next((i for i in self.items(spec) if i.get(".id") == item_id), None)
            if computed is None:
                raise RestError(404)
            return Reply(200, apply_proplist(computed, parse_proplist(params.get(".proplist"))))
        with self.router.state.lock:
            item = self.find(spec, item_id)
            if method == "GET":
                proplist = parse_proplist(params.get(".proplist"))
                return Reply(200, apply_proplist(self.view(spec, item), proplist))
            if method == "PATCH":
                return Reply(200, self.set_item(spec, item, _as_args(body)))
            if method == "DELETE":
                self.remove_item(spec, item)
                return Reply(204)
        raise bad_request("no such command")

    def _on_menu(self, method: str, spec: MenuSpec, params: dict[str, str], body: Any) -> Reply:
        if method == "GET":
            proplist = parse_proplist(params.get(".proplist"))
            filters = {k: v for k, v in params.items() if not k.startswith(".") or k == ".id"}
            if spec.kind == "singleton":
                return Reply(200, apply_proplist(self.items(spec)[0], proplist))
            if spec.kind == "commands":
                raise RestError(404)
            found = [
                apply_proplist(item, proplist)
                for item in self.items(spec)
                if all(item.get(key) == value for key, value in filters.items())
            ]
            return Reply(200, found)
        if method == "PUT" and spec.kind == "list":
            return Reply(self._add_status, self.add_item(spec, _as_args(body)))
        if method == "PATCH" and spec.kind == "singleton":
            with self.router.state.lock:
                item = self.router.state.singleton(spec.name)
                return Reply(200, self.set_item(spec, item, _as_args(body)))
        raise bad_request("no such command")

    def check_args(self, spec: MenuSpec, command: str, args: dict[str, Any]) -> None:
        known = self.router.args(spec.name, command)
        if known is None:
            raise bad_request("no such command")
        for key in args:
            if not key.startswith(".") and key not in known:
                raise bad_request(f"unknown parameter {key}")

    def add_item(self, spec: MenuSpec, args: dict[str, Any]) -> Item:
        if not spec.writable:
            raise bad_request("no such command")
        self.check_args(spec, "add", args)
        self.router.check_device_mode(spec.name)
        props = {k: normalize(k, v) for k, v in args.items() if not k.startswith(".")}
        props.pop("copy-from", None)
        with self.router.state.lock:
            item: Item = spec.defaults(self.router) if spec.defaults else {}
            item.update(props)
            self._check_unique(spec, item, None)
            if spec.on_add:
                spec.on_add(self.router, item)
            self.router.state.menu(spec.name).add(item)
            self.router.state.touch()
            return self.view(spec, item)

    def set_item(self, spec: MenuSpec, item: Item, args: dict[str, Any]) -> Item:
        if not spec.writable:
            raise bad_request("no such command")
        self.check_args(spec, "set", args)
        self.router.check_device_mode(spec.name)
        props = {
            k: normalize(k, v) for k, v in args.items() if not k.startswith(".") and k != "numbers"
        }
        with self.router.state.lock:
            if spec.on_set:
                spec.on_set(self.router, item, props)
            merged = {**item, **props}
            self._check_unique(spec, merged, item)
            item.update(props)
            self.router.state.touch()
            return self.view(spec, item)

    def remove_item(self, spec: MenuSpec, item: Item) -> None:
        if not spec.writable:
            raise bad_request("no such command")
        self.router.check_device_mode(spec.name)
        with self.router.state.lock:
            if spec.on_remove:
                spec.on_remove(self.router, item)
            self.router.state.menu(spec.name).remove(item)
            self.router.state.touch()

    def _check_unique(self, spec: MenuSpec, item: Item, own: Item | None) -> None:
        key = spec.unique
        if not key or not item.get(key):
            return
        for other in self.router.state.menu(spec.name).items:
            if other is not own and other.get(key) == item[key]:
                raise bad_request(f"failure: item with such {key} already exists")

    def resolve(self, spec: MenuSpec, numbers: str) -> list[Item]:
        """Items named by a ``numbers`` argument: ``*ID``s or names, comma separated."""
        if spec.kind != "list":
            raise bad_request("no such item")
        menu = self.router.state.menu(spec.name)
        out: list[Item] = []
        for word in (part.strip() for part in numbers.split(",")):
            if not word:
                continue
            found = menu.find(word) if word.startswith("*") else None
            if found is None:
                found = next((i for i in menu.items if i.get("name") == word), None)
            if found is None:
                raise bad_request("no such item")
            out.append(found)
        return out

    # --- commands ------------------------------------------------------------------------
    async def command(self, menu: str, command: str, args: dict[str, Any]) -> Any:
        spec = self._spec(menu)
        self.check_args(spec, command, args)
        if command not in _READS and command != "print":
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

    def _generic_command(self, spec: MenuSpec, command: str, args: dict[str, Any]) -> Any:
        if command == "print":
            predicate = compile_query(args.get(".query"))
            proplist = parse_proplist(args.get(".proplist"))
            found = [apply_proplist(i, proplist) for i in self.items(spec) if predicate(i)]
            return found[0] if spec.kind == "singleton" and found else found
        if command == "get":
            item = self.items(spec)[0] if spec.kind == "singleton" else None
            if item is None:
                item = self.view(spec, self.resolve(spec, str(args.get("number", "")))[0])
            name = str(args.get("value-name", ""))
            if name not in item:
                raise bad_request(f"no such property {name}")
            return {"ret": item[name]}
        if command == "add":
            return {"ret": self.add_item(spec, args)[".id"]}
        if command == "set" and spec.kind == "singleton":
            with self.router.state.lock:
                self.set_item(spec, self.router.state.singleton(spec.name), args)
            return []
        numbers = str(args.get(".id") or args.get("numbers") or args.get("number") or "")
        with self.router.state.lock:
            targets = self.resolve(spec, numbers)
            for item in targets:
                if command == "set":
                    self.set_item(spec, item, {k: v for k, v in args.items() if k != "numbers"})
                elif command == "remove":
                    self.remove_item(spec, item)
                elif command in ("enable", "disable"):
                    self.set_item(spec, item, {"disabled": command == "disable"})
                elif command == "comment":
                    self.set_item(spec, item, {"comment": args.get("comment", "")})
                else:
                    raise bad_request(f"failure: the simulator does not implement {command}")
        return []


def _as_args(body: Any) -> dict[str, Any]:
    if body is None or body == "":
        return {}
    if not isinstance(body, dict):
        raise bad_request("expected a JSON object")
    return body
