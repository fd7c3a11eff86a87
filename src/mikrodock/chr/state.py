"""Machines on disk: one folder per machine under ``state_dir()/machines/<name>/``.

``machine.json`` holds a :class:`MachineRecord`; every write is atomic. Names and ports are
handed out under one file lock (:func:`allocation_lock`) and the record is written before the
lock is released, so two ``chr run`` started at once never get the same name or port.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import filelock

from mikrodock.errors import ConfigError, UsageError
from mikrodock.paths import atomic_write, state_dir

__all__ = [
    "MachineRecord",
    "allocation_lock",
    "list_records",
    "load_record",
    "machine_dir",
    "machines_root",
    "pid_alive",
    "save_record",
    "validate_name",
]

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


@dataclass
class MachineRecord:
    """What mikrodock knows about one machine (``machine.json``)."""

    name: str
    arch: str
    version: str
    base_image: str
    memory_mib: int
    cpus: int
    accel_requested: str
    ports: dict[str, int]
    """guest port (as a string) -> host port"""
    mac: str
    publish_all: bool = False
    accel: str = ""
    status: str = "created"
    """creating | provisioning (a new router not given its password yet) | running | stopped"""
    pid: int = 0
    started_at: float = 0.0
    created_at: float = 0.0
    user: str = "admin"
    password_file: str = ""
    """'' when the password is empty (the CHR default)"""
    links: list[dict[str, Any]] = field(default_factory=list)
    source: str = ""
    """'' for a fresh boot, or 'machine:tag' for a clone"""
    firmware_code: str = ""
    lab: str = ""
    """the lab this machine belongs to ('' for a lone machine)"""
    notes: list[str] = field(default_factory=list)
    provision_port: int = 0
    """while provisioning: the private 127.0.0.1 forward to REST (the public ones are not open)"""

    @property
    def dir(self) -> Path:
        return machine_dir(self.name)

    @property
    def http_port(self) -> int:
        return self.ports.get("80", 0)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.provision_port or self.http_port}"

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: object) -> MachineRecord:
        """The record in ``data`` (parsed ``machine.json``); ValueError naming the first field
        of a wrong type or missing, so a damaged record never reaches the code that uses it."""
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        values: dict[str, Any] = {}
        for item in dataclasses.fields(cls):
            if item.name not in data:
                if (
                    item.default is dataclasses.MISSING
                    and item.default_factory is dataclasses.MISSING
                ):
                    raise ValueError(f"{item.name} is missing")
                continue
            value = data[item.name]
            if not _FIELD_CHECKS[item.name](value):
                raise ValueError(f"{item.name} is {type(value).__name__} {str(value)[:40]!r}")
            values[item.name] = value
        return cls(**values)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_port(value: object) -> bool:
    return _is_int(value) and 0 <= value < 65536  # type: ignore[operator]


def _is_ports(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and k.isdigit() and _is_port(v) for k, v in value.items()
    )


def _is_links(value: object) -> bool:
    return isinstance(value, list) and all(
        isinstance(nic, dict) and _is_port(nic.get("local")) and _is_port(nic.get("remote"))
        and isinstance(nic.get("mac"), str) for nic in value
    )  # fmt: skip


_FIELD_CHECKS: dict[str, Any] = {
    **dict.fromkeys(
        (
            "name",
            "arch",
            "version",
            "base_image",
            "accel_requested",
            "mac",
            "accel",
            "status",
            "user",
            "source",
            "firmware_code",
            "lab",
        ),
        lambda v: isinstance(v, str),
    ),
    **dict.fromkeys(("memory_mib", "cpus", "pid"), _is_int),
    "provision_port": _is_port,
    **dict.fromkeys(("started_at", "created_at"), lambda v: isinstance(v, int | float)),
    "publish_all": lambda v: isinstance(v, bool),
    "password_file": lambda v: v in ("", "password"),  # a name in the folder, never a path
    "ports": _is_ports,
    "links": _is_links,
    "notes": lambda v: isinstance(v, list) and all(isinstance(n, str) for n in v),
}


def machines_root() -> Path:
    root = state_dir() / "machines"
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    return root


def machine_dir(name: str) -> Path:
    return machines_root() / name


def validate_name(name: str) -> str:
    if not _NAME.match(name):
        raise UsageError(
            f"bad machine name {name!r}",
            hint="use 1-40 lower-case letters, digits, '-' or '_', starting with a letter or digit",
        )
    return name


@contextlib.contextmanager
def allocation_lock() -> Iterator[None]:
    """Held while names and ports are chosen and the new record is written."""
    lock = filelock.FileLock(str(state_dir() / "allocate.lock"))
    with lock.acquire(timeout=60):
        yield


def save_record(record: MachineRecord) -> None:
    folder = machine_dir(record.name)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    atomic_write(folder / "machine.json", record.to_json(), mode=0o600)


def load_record(name: str) -> MachineRecord:
    path = machine_dir(name) / "machine.json"
    try:
        record = MachineRecord.from_dict(json.loads(path.read_text()))
        if record.name != name:
            raise ValueError(f"name is {record.name!r}, not the folder's")
    except FileNotFoundError:
        raise UsageError(
            f"no machine named {name!r}", hint="see `mikrodock chr ls` for the machines"
        ) from None
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"machine {name} is damaged: cannot read {path}: {exc}",
            hint=f"remove the machine with `mikrodock chr rm -f {name}`",
        ) from None
    return record


def list_records() -> tuple[list[MachineRecord], list[str]]:
    """Every readable record, and the names of damaged machines: folders without a readable
    ``machine.json`` or with one of the wrong shape."""
    records: list[MachineRecord] = []
    broken: list[str] = []
    for folder in sorted(machines_root().iterdir()):
        if not folder.is_dir() or folder.name.startswith("."):
            continue
        try:
            records.append(load_record(folder.name))
        except (ConfigError, UsageError):
            broken.append(folder.name)
    return records, broken


def pid_alive(pid: int) -> bool:
    """True while process ``pid`` exists and is not a zombie."""
    if pid <= 0:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] in ("Z", "X"):
            return False
    except (OSError, IndexError):
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
