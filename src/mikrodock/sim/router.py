"""The simulated router: its options, its state, and the events that change it as a whole.

:class:`SimRouter` ties the menu specs (:mod:`mikrodock.sim.menus`) to one :class:`SimState`
and the command tree of the simulated version (:mod:`mikrodock.sim.tree`). Time-driven
changes (a container that finishes extracting) are applied lazily: :meth:`SimRouter.advance`
runs every transition whose time has come, and every request and every control call runs it
first, so what a client sees follows real time.

Boot events: :meth:`reboot` (``/system/reboot``, ``/system/package/apply-changes``) activates
scheduled packages; :meth:`power_cycle` (sim-only ``POST /sim/power-cycle``, the CHR layer's
hard reset) does that and also confirms a pending device-mode update.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mikrodock.errors import UnsupportedError, UsageError
from mikrodock.routeros.version import RouterOSVersion, parse_version
from mikrodock.sim import containers, factory, logs, packages, users
from mikrodock.sim.base import MenuSpec, RestError
from mikrodock.sim.candidates import check_candidates
from mikrodock.sim.engine import Engine
from mikrodock.sim.menus import build_specs
from mikrodock.sim.records import generic_spec
from mikrodock.sim.state import SimState
from mikrodock.sim.tree import Tree, facts_versions, tree_for

if TYPE_CHECKING:
    from mikrodock.sim.tree import Node

__all__ = ["ARCHES", "Delays", "SimOptions", "SimRouter"]

ARCHES = ("x86_64", "arm64", "arm")


def _parts(menu: str) -> tuple[str, ...]:
    return tuple(part for part in menu.split("/") if part)


@dataclass(frozen=True)
class Delays:
    """How long (seconds) the container state machine stays in each passing state."""

    extract: float = 0.2
    start: float = 0.05
    stop: float = 0.1

    def __post_init__(self) -> None:
        for name in ("extract", "start", "stop"):
            if getattr(self, name) < 0:
                raise UsageError(f"the {name} delay cannot be negative", hint="give seconds >= 0")


@dataclass(frozen=True)
class SimOptions:
    """How the simulated router starts out."""

    version: RouterOSVersion = field(default_factory=lambda: parse_version("7.22.3"))
    arch: str = "x86_64"
    container_package: bool = True
    extra_packages: frozenset[str] = frozenset()
    """Other extra packages installed from the start (``iot``, ``user-manager``, ...); a
    fresh CHR has none, and their menus answer ``no such command or directory``."""
    device_mode_locked: bool = False
    delays: Delays = field(default_factory=Delays)
    user: str = "admin"
    password: str = field(default="", repr=False)
    candidates: Mapping[str, str] = field(default_factory=dict)
    """Answers picked for open questions (:mod:`mikrodock.sim.candidates`), by name."""


class SimRouter:
    """One simulated RouterOS router (no I/O: the server feeds it requests)."""

    def __init__(self, options: SimOptions, state_file: Path | None = None) -> None:
        if options.arch not in ARCHES:
            raise ValueError(f"unknown architecture {options.arch!r}; use one of {ARCHES}")
        check_candidates(options.candidates)
        oldest = facts_versions()[0]
        if options.version < parse_version(oldest):
            raise UnsupportedError(
                f"RouterOS {options.version} is older than {oldest}, the oldest version the "
                "simulator has a command tree of",
                hint=f"give --version {oldest} or newer",
            )
        self.options = options
        self.version = options.version
        self.tree: Tree = tree_for(str(options.version))
        unknown = sorted(options.extra_packages - self.tree.extra_packages())
        if unknown:
            raise UsageError(
                f"unknown extra package {', '.join(unknown)}",
                hint=f"use some of {', '.join(sorted(self.tree.extra_packages()))}",
            )
        self.specs: dict[str, MenuSpec] = build_specs()
        self._generic: dict[str, MenuSpec | None] = {}
        self.engine = Engine(self)
        self.image_failures: dict[str, str] = {}
        """remote-image fnmatch pattern -> the error its download ends with (tests set it)."""
        self.state = SimState()
        loaded = state_file is not None and self.state.load(state_file)
        if not loaded:
            self.factory_reset()
        self.state.path = state_file
        users.ensure_user(self, options.user, options.password)
        self.state.boot_time = time.time()
        self.state.touch()
        self.state.save_if_dirty()

    @property
    def delays(self) -> Delays:
        return self.options.delays

    # --- menus -------------------------------------------------------------------------
    def factory_reset(self) -> None:
        """Fill the state as a fresh router (with the options' packages and device-mode)."""
        with self.state.lock:
            self.state.menus.clear()
            self.state.singletons.clear()
            self.state.flags = {
                "container-package": "installed" if self.options.container_package else "",
                "device-mode-container": "false" if self.options.device_mode_locked else "true",
            }
            for name in self.options.extra_packages:
                self.state.flags[f"{name}-package"] = "installed"
            for spec in self.specs.values():
                if spec.seed is None:
                    continue
                seeded = spec.seed(self)
                if spec.kind == "singleton":
                    self.state.singletons[spec.name] = seeded[0]
                else:
                    menu = self.state.menu(spec.name)
                    for item in seeded:
                        menu.add(item)
            self._seed_generic()
            self.state.touch()

    def _seed_generic(self) -> None:
        """Factory records of menus known only from the tree (their version's fields only)."""
        for name, rows in factory.seed().items():
            spec = self.spec(name)
            node = self._node(name)
            if spec is None or not spec.generic or node is None:
                continue
            shown = set(node.props)
            for row in rows if isinstance(rows, list) else [rows]:
                kept = {k: v for k, v in row.items() if k in shown} if shown else dict(row)
                if spec.kind == "singleton":
                    self.state.singletons[name] = kept
                else:
                    self.state.menu(name).add(kept)

    def package_installed(self, name: str) -> bool:
        if name == "routeros":
            return True
        return self.state.flags.get(f"{name}-package") == "installed"

    async def call(self, path: tuple[str, ...], command: str, args: Mapping[str, object]) -> Any:
        """Run one RouterOS command; the protocol-neutral entry every front end maps onto.

        ``path`` is the menu (``("ip", "address")``), ``command`` one of its commands
        (``print``, ``add``, ``set``, ``remove``, ``get``, ``enable``, ``start``, ...) and
        ``args`` its arguments by name; values are strings (JSON scalars are turned into
        RouterOS text). Items are named by ``numbers``/``number`` (or ``.id``) as ``*ID``s or
        names, comma separated. Print options: ``.proplist`` (comma separated names),
        ``.query`` (a list of API query words), ``count-only``.

        Returns what the REST API would put in the body: ``print`` a list of records (a
        record for a singleton), ``add`` ``{"ret": "*ID"}``, ``get`` ``{"ret": value}``,
        most other commands ``[]``, some commands their own result. Raises
        :class:`~mikrodock.sim.base.SimError` (``status``, ``category``, ``detail``) for
        everything RouterOS refuses; nothing is changed then. Call it from the event loop
        thread that runs the router's requests.
        """
        self.advance()
        try:
            return await self.engine.call(tuple(path), command, args)
        finally:
            self.state.save_if_dirty()

    def spec(self, menu: str) -> MenuSpec | None:
        """How ``menu`` behaves here; None when this version and its packages lack it."""
        spec = self.specs.get(menu)
        if spec is not None:
            if not self.package_installed(spec.package):
                return None
            if spec.builtin_args is not None or self._node(menu) is not None:
                return spec
            return None
        if menu in self._generic:
            found = self._generic[menu]
        else:
            node = self._node(menu)
            found = generic_spec(menu, node) if node is not None else None
            if found is not None:
                found.package = self.tree.package_of(_parts(menu))
            if found is not None and menu == "system/clock":
                found.view = lambda router, item: {**factory.clock(router), **item}
            self._generic[menu] = found
        if found is not None and not self.package_installed(found.package):
            return None  # the menu of an extra package this router lacks
        return found

    def _node(self, menu: str) -> Node | None:
        return self.tree.menu(_parts(menu)) if menu else None

    def available(self, menu: str) -> bool:
        """Whether ``menu`` exists on this router (version and installed packages)."""
        return self.spec(menu) is not None

    def args(self, menu: str, command: str) -> frozenset[str] | None:
        """The arguments ``menu``/``command`` takes here; None when there is no such command."""
        spec = self.specs.get(menu)
        if spec is not None and spec.builtin_args is not None:
            return spec.builtin_args.get(command)
        node = self._node(menu)
        if node is None or command not in node.commands:
            return None
        if not self.package_installed(self.tree.package_of((*_parts(menu), command))):
            return None  # a command an extra package adds to a base menu
        return frozenset(node.commands[command])

    def arg_types(self, menu: str, command: str) -> dict[str, str | None]:
        """Argument -> its syntax text, for the arguments the tree types."""
        node = self._node(menu)
        return node.commands.get(command, {}) if node is not None else {}

    def check_device_mode(self, menu: str) -> None:
        spec = self.specs.get(menu)
        if spec is not None and spec.gated and not self.device_mode_allows("container"):
            raise RestError(400, "not allowed by device-mode")

    def device_mode_allows(self, feature: str) -> bool:
        mode = self.state.singletons.get("system/device-mode", {})
        if feature == "container":
            return self.state.flags.get("device-mode-container") == "true"
        return mode.get(feature, "true") == "true"

    # --- time ----------------------------------------------------------------------------
    def now(self) -> float:
        return time.time()

    def advance(self) -> None:
        """Apply every time-driven transition that is due."""
        with self.state.lock:
            containers.advance(self, self.now())

    def uptime(self) -> float:
        return max(0.0, self.now() - self.state.boot_time)

    def check_login(self, user: str, password: str) -> bool:
        return users.check_login(self, user, password)

    def log(self, topics: str, message: str) -> None:
        logs.append(self, topics, message)

    # --- boot events -----------------------------------------------------------------------
    def reboot(self) -> None:
        """A software reboot: scheduled package changes apply, containers restart."""
        with self.state.lock:
            self.advance()
            packages.apply_scheduled(self)
            self.state.boot_time = self.now()
            containers.on_boot(self)
            self.log("system,info", "router rebooted")
            self.state.touch()

    def power_cycle(self) -> None:
        """A hard reset: as :meth:`reboot`, and a pending device-mode update is confirmed."""
        with self.state.lock:
            pending = self.state.flags.pop("device-mode-pending", "")
            deadline = float(self.state.flags.pop("device-mode-deadline", "0") or 0)
            if pending and self.now() <= deadline:
                packages.confirm_device_mode(self, pending)
            self.reboot()
