"""RouterOS REST semantics over the simulated router, without HTTP.

``GET /rest/<menu>`` prints (array; an object for singletons), ``GET /rest/<menu>/*ID`` gives
one item, ``PUT`` adds, ``PATCH`` sets, ``DELETE`` removes, ``POST /rest/<menu>/<command>``
runs a command and ``POST /rest/execute`` a script. Arguments a version lacks give
``400 unknown parameter X``; missing menus and items give ``404``. The server module turns a
:class:`Reply` into an HTTP response.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mikrodock.routeros.api_query import apply_proplist, parse_proplist
from mikrodock.sim import script
from mikrodock.sim.base import MenuSpec, RestError, bad_request, to_text
from mikrodock.sim.router import SimRouter

__all__ = ["Reply", "Rest"]


@dataclass
class Reply:
    status: int
    body: Any = None
    """JSON-able body; None for an empty body."""


class Rest:
    """Maps REST requests onto :meth:`SimRouter.call` for one router."""

    def __init__(self, router: SimRouter) -> None:
        self.router = router
        self.engine = router.engine
        self._jobs = 0

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
            return Reply(200, await self._execute(_as_args(body)))
        parts = [part for part in path.split("/") if part]
        if not parts:
            raise bad_request("no such command or directory ()")
        menu = "/".join(parts)
        spec = self.router.spec(menu)
        if spec is not None:
            return await self._on_menu(method, spec, params, body)
        parent = self.router.spec("/".join(parts[:-1])) if len(parts) > 1 else None
        if parent is None:
            raise bad_request(f"no such command or directory ({self.engine.first_unknown(menu)})")
        last = parts[-1]
        if method == "POST":
            if self.router.args(parent.name, last) is None and last not in parent.commands:
                raise bad_request(f"no such command or directory ({last})")
            args = _as_args(body)
            return Reply(200, await self.engine.command(parent.name, last, dict(args)))
        if parent.kind == "list" and self.router.tree.menu(tuple(parts)) is None:
            return self._on_item(method, parent, last, params, body)
        raise bad_request(f"no such command or directory ({last})")

    async def _execute(self, args: dict[str, Any]) -> dict[str, str]:
        """``/execute``: with ``as-string`` the script's output; without, a job id."""
        output = await script.run(self.engine, to_text(args.get("script", "")))
        if "as-string" in args:
            return {"ret": output}
        self._jobs += 1
        return {"ret": f"*{self._jobs:X}"}

    # --- items and menus ---------------------------------------------------------------
    def _on_item(
        self, method: str, spec: MenuSpec, key: str, params: dict[str, str], body: Any
    ) -> Reply:
        with self.router.state.lock:
            if method == "GET":
                found = self.engine.find_view(spec, key)
                if found is None:
                    raise RestError(404)
                return Reply(200, apply_proplist(found, parse_proplist(params.get(".proplist"))))
            item = self.engine.find(spec, key)
            if item is None:
                if method in ("PATCH", "DELETE", "PUT"):
                    raise RestError(404)
                raise bad_request(f"no such command or directory ({key})")
            if method == "PATCH":
                return Reply(200, self.engine.set_item(spec, item, _as_args(body)))
            if method == "DELETE":
                self.engine.remove_item(spec, item)
                return Reply(204)
        raise bad_request("no such command")

    async def _on_menu(
        self, method: str, spec: MenuSpec, params: dict[str, str], body: Any
    ) -> Reply:
        engine = self.engine
        if method == "GET":
            proplist = parse_proplist(params.get(".proplist"))
            filters = {k: v for k, v in params.items() if not k.startswith(".") or k == ".id"}
            if spec.kind == "singleton":
                return Reply(200, apply_proplist(engine.items(spec)[0], proplist))
            if spec.kind == "commands":
                raise bad_request("no such command")
            found = [
                apply_proplist(item, proplist)
                for item in engine.items(spec)
                if all(item.get(key) == value for key, value in filters.items())
            ]
            return Reply(200, found)
        if method == "PUT" and spec.kind == "list":
            if self.router.args(spec.name, "add") is None:
                raise bad_request("no such command")
            return Reply(self._add_status, engine.add_item(spec, _as_args(body)))
        if method == "PATCH" and spec.kind == "singleton":
            with self.router.state.lock:
                item = self.router.state.singleton(spec.name)
                return Reply(200, engine.set_item(spec, item, _as_args(body)))
        raise bad_request("no such command")


def _as_args(body: Any) -> dict[str, Any]:
    if body is None or body == "":
        return {}
    if not isinstance(body, dict):
        raise bad_request("expected a JSON object")
    return body
