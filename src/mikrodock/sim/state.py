"""What the simulated router holds: menus of items, singletons, and how they reach the disk.

Every value an item shows is a RouterOS string. Keys starting with ``_`` are the simulator's
own bookkeeping (a container's phase, a file's bytes) and never leave the process: :func:`public`
strips them. Items get ``*HEX`` ids from a counter per menu, as RouterOS does.

The state is shared between the server thread and the test thread, so every reader and writer
holds :attr:`SimState.lock`. With a state file the whole state is written atomically after each
change (:meth:`SimState.save_if_dirty`) and read back on start.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mikrodock.errors import ConfigError
from mikrodock.paths import atomic_write

__all__ = ["Item", "MenuData", "SimState", "format_id", "parse_id", "public"]

Item = dict[str, str]

_FORMAT = 1


def format_id(number: int) -> str:
    """RouterOS spelling of an internal id: 30 -> ``*1E``."""
    return f"*{number:X}"


_ID = re.compile(r"\*[0-9A-Fa-f]{1,16}")


def parse_id(text: str) -> int | None:
    """``*1E`` -> 30; None when ``text`` is not an id."""
    if not _ID.fullmatch(text):  # not int()'s leniency: "*-1", "*0x1f", "* 1f" are no ids
        return None
    return int(text[1:], 16)


def public(item: Item) -> Item:
    """The item as the REST API shows it: without the simulator's ``_`` keys."""
    return {key: value for key, value in item.items() if not key.startswith("_")}


@dataclass
class MenuData:
    """The items of one list menu, in order, and the next id to hand out."""

    items: list[Item] = field(default_factory=list)
    next_id: int = 1

    def add(self, item: Item) -> Item:
        """Append ``item`` with a new id (shown first, as RouterOS does); returns it."""
        fields = {".id": format_id(self.next_id), **item}
        item.clear()
        item.update(fields)
        self.next_id += 1
        self.items.append(item)
        return item

    def find(self, item_id: str) -> Item | None:
        for item in self.items:
            if item.get(".id") == item_id:
                return item
        return None

    def remove(self, item: Item) -> None:
        self.items.remove(item)


@dataclass
class SimState:
    """All the simulated router holds; guarded by :attr:`lock`."""

    menus: dict[str, MenuData] = field(default_factory=dict)
    singletons: dict[str, Item] = field(default_factory=dict)
    flags: dict[str, str] = field(default_factory=dict)
    boot_time: float = field(default_factory=time.time)
    path: Path | None = None
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    dirty: bool = False

    def menu(self, name: str) -> MenuData:
        """The list menu ``name`` (created empty on first use)."""
        data = self.menus.get(name)
        if data is None:
            data = self.menus[name] = MenuData()
        return data

    def singleton(self, name: str) -> Item:
        return self.singletons.setdefault(name, {})

    def touch(self) -> None:
        """Mark the state as changed, so the next :meth:`save_if_dirty` writes it."""
        self.dirty = True

    # --- persistence ---------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "format": _FORMAT,
            "menus": {
                name: {"next_id": data.next_id, "items": data.items}
                for name, data in self.menus.items()
            },
            "singletons": self.singletons,
            "flags": self.flags,
        }

    def load_json(self, data: dict[str, Any]) -> None:
        if data.get("format") != _FORMAT:
            raise ConfigError(
                f"unknown simulator state format {data.get('format')!r}",
                hint="delete the state file or start the simulator without --state",
            )
        self.menus = {
            name: MenuData(items=[dict(item) for item in menu["items"]], next_id=menu["next_id"])
            for name, menu in data.get("menus", {}).items()
        }
        self.singletons = {name: dict(item) for name, item in data.get("singletons", {}).items()}
        self.flags = dict(data.get("flags", {}))

    def load(self, path: Path) -> bool:
        """Read the state from ``path``; False when there is no such file yet."""
        self.path = path
        try:
            text = path.read_text()
        except FileNotFoundError:
            return False
        except OSError as error:
            raise ConfigError(
                f"cannot read simulator state {path}: {error}", hint="check the --state path"
            ) from error
        try:
            self.load_json(json.loads(text))
        except (ValueError, KeyError, TypeError) as error:
            raise ConfigError(
                f"simulator state {path} is damaged: {error}",
                hint="delete the file to start from a fresh router",
            ) from error
        return True

    def save_if_dirty(self) -> None:
        with self.lock:
            if not self.dirty:
                return
            self.dirty = False
            if self.path is not None:
                text = json.dumps(self.to_json(), indent=1, sort_keys=True)
                try:
                    atomic_write(self.path, text, mode=0o600)  # it holds user passwords
                except OSError as error:
                    raise ConfigError(
                        f"cannot write simulator state {self.path}: {error.strerror}",
                        hint="give --state a path in a writable folder",
                    ) from error
