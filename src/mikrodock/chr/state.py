"""Machines on disk: one folder per machine under ``state_dir()/machines/<name>/``.

``machine.json`` holds a :class:`MachineRecord`; every write is atomic. Names and ports are
handed out under one file lock (:func:`allocation_lock`) and the record is written before the
lock is released, so two ``chr run`` started at once never get the same name or port.

In Python the record is typed (ports are :class:`PortForward`, extra NICs :class:`Link`, paths
are paths); it becomes JSON only in :meth:`MachineRecord.to_json` and is checked field by field
in :meth:`MachineRecord.from_dict`, which also reads records of earlier releases (NICs without
their interface name, no ``routeros_version``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast, get_args

import filelock

from mikrodock.chr.accel import ACCELS
from mikrodock.chr.argv import ARCHES
from mikrodock.errors import ConfigError, MachineError, UsageError
from mikrodock.paths import atomic_write, state_dir

__all__ = [
    "Link",
    "MachineRecord",
    "PortForward",
    "Status",
    "allocation_lock",
    "list_records",
    "load_record",
    "machine_dir",
    "machines_root",
    "password_of",
    "pid_alive",
    "ports_json",
    "save_record",
    "validate_name",
]

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_MAC = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")
_TAP = re.compile(r"^[A-Za-z0-9_.-]{0,15}$")
_INTERFACE = re.compile(r"^ether([2-9]|[1-9][0-9]+)$")

Status = Literal["created", "creating", "provisioning", "running", "stopped"]
"""created (``chr serve``'s first start, not booted yet) | creating (a clone being restored) |
provisioning (a new router not given its password yet) | running | stopped"""


@dataclass(frozen=True, order=True)
class PortForward:
    """A guest TCP port forwarded from ``host`` on the host (127.0.0.1 unless publish_all)."""

    guest: int
    host: int


@dataclass
class Link:
    """An extra NIC (``ether2`` and up): a UDP socket pair on 127.0.0.1, or a TAP device."""

    interface: str
    """the RouterOS name: ``ether2`` ..."""
    local: int
    """the UDP port this NIC listens on (0 for a TAP)"""
    remote: int
    """the UDP port it sends to (a port nobody listens on: an unplugged cable)"""
    mac: str
    peer: str = ""
    """``machine:interface`` (``router:interface`` in a lab) at the other end; '' if none"""
    peer_machine: str = ""
    """the peer's machine for ``chr run --link`` links ('' otherwise)"""
    hotplug: bool = False
    """plugged into the running QEMU (``chr run --link``), not on its command line yet"""
    tap: str = ""
    """a TAP device instead of UDP sockets (``chr serve``'s data interfaces)"""

    def to_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


def ports_json(ports: Iterable[PortForward]) -> dict[str, int]:
    """``{"80": 8080, ...}``: guest port (as text) -> host port, the JSON shape of ports."""
    return {str(port.guest): port.host for port in sorted(ports)}


@dataclass
class MachineRecord:
    """What mikrodock knows about one machine (``machine.json``)."""

    name: str
    arch: str
    image: str
    """the cached image it was made from, as ``chr images`` names it (``7.22.3``,
    ``local-4aa5…``); ``version`` in the JSON"""
    base_image: Path
    memory_mib: int
    cpus: int
    accel_requested: str
    ports: tuple[PortForward, ...]
    mac: str
    publish_all: bool = False
    accel: str = ""
    status: Status = "created"
    pid: int = 0
    started_at: float = 0.0
    created_at: float = 0.0
    user: str = "admin"
    password_file: str = ""
    """'' when the password is empty (the CHR default), else the file's name in the folder"""
    links: list[Link] = field(default_factory=list)
    source: str = ""
    """'' for a fresh boot, or 'machine:tag' for a clone"""
    firmware_code: Path | None = None
    lab: str = ""
    """the lab this machine belongs to ('' for a lone machine)"""
    notes: list[str] = field(default_factory=list)
    provision_port: int = 0
    """while provisioning: the private 127.0.0.1 forward to REST (the public ones are not open)"""
    routeros_version: str = ""
    """the version the router itself reports (``/system/resource``), '' until it answered"""

    @property
    def dir(self) -> Path:
        return machine_dir(self.name)

    def host_port(self, guest: int) -> int:
        """The host port forwarded to ``guest`` (0 when it is not forwarded)."""
        return next((p.host for p in self.ports if p.guest == guest), 0)

    @property
    def http_port(self) -> int:
        return self.host_port(80)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.provision_port or self.http_port}"

    @property
    def version(self) -> str:
        """What to show as the machine's version: the router's own, else the image's."""
        return self.routeros_version or self.image

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (the shape ``machine.json`` has always had, plus new fields)."""
        data: dict[str, Any] = {}
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            key = _JSON_KEYS.get(item.name, item.name)
            if item.name == "ports":
                data[key] = ports_json(value)
            elif item.name == "links":
                data[key] = [link.to_dict() for link in value]
            elif isinstance(value, Path):
                data[key] = str(value)
            elif value is None:
                data[key] = ""
            else:
                data[key] = list(value) if isinstance(value, list) else value
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: object) -> MachineRecord:
        """The record in ``data`` (parsed ``machine.json``); ValueError naming the first field
        of a wrong type or missing, so a damaged record never reaches the code that uses it."""
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        values: dict[str, Any] = {}
        for item in dataclasses.fields(cls):
            key = _JSON_KEYS.get(item.name, item.name)
            if key not in data:
                if (
                    item.default is dataclasses.MISSING
                    and item.default_factory is dataclasses.MISSING
                ):
                    raise ValueError(f"{key} is missing")
                continue
            value = data[key]
            try:
                values[item.name] = _FROM_JSON[item.name](value)
            except (ValueError, TypeError, KeyError) as exc:
                why = f" ({exc})" if isinstance(exc, ValueError) and str(exc) else ""
                raise ValueError(
                    f"{key} is {type(value).__name__} {str(value)[:40]!r}{why}"
                ) from None
        return cls(**values)


_JSON_KEYS = {"image": "version"}
"""Python field -> JSON key, where they differ"""


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError
    return value


def _port(value: object) -> int:
    number = _int(value)
    if not 0 <= number < 65536:
        raise TypeError
    return number


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError
    return value


def _number(value: object) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise TypeError
    return float(value)


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError
    return value


def _path(value: object) -> Path:
    text = _text(value)
    if not text:
        raise TypeError
    return Path(text)


def _matching(pattern: re.Pattern[str]) -> Callable[[object], str]:
    """Text the pattern matches in full (what goes on QEMU's command line as it is)."""

    def check(value: object) -> str:
        text = _text(value)
        if not pattern.match(text):
            raise TypeError
        return text

    return check


def _one_of(*allowed: str) -> Callable[[object], str]:
    def check(value: object) -> str:
        if value not in allowed:
            raise TypeError
        return str(value)

    return check


def _optional_path(value: object) -> Path | None:
    text = _text(value)
    return Path(text) if text else None


def _status(value: object) -> Status:
    if value not in get_args(Status):
        raise TypeError
    return cast(Status, value)


def _password_file(value: object) -> str:
    if value not in ("", "password"):  # a name in the folder, never a path
        raise TypeError
    return str(value)


def _ports(value: object) -> tuple[PortForward, ...]:
    if not isinstance(value, dict):
        raise TypeError
    found = []
    for guest, host in value.items():
        if not (isinstance(guest, str) and guest.isdigit() and 0 < int(guest) < 65536):
            raise TypeError
        found.append(PortForward(int(guest), _port(host)))
    return tuple(sorted(found))


def _links(value: object) -> list[Link]:
    if not isinstance(value, list):
        raise TypeError
    links = []
    for index, nic in enumerate(value):
        if not isinstance(nic, dict):
            raise TypeError
        links.append(
            Link(
                # records of earlier releases: lab NICs without their name (ether2 first)
                interface=_matching(_INTERFACE)(nic.get("interface") or f"ether{index + 2}"),
                local=_port(nic["local"]),
                remote=_port(nic["remote"]),
                mac=_matching(_MAC)(nic["mac"]),
                peer=_text(nic.get("peer", "")),
                peer_machine=_text(nic.get("peer_machine", "")),
                hotplug=_flag(nic.get("hotplug", False)),
                tap=_matching(_TAP)(nic.get("tap", "")),
            )
        )
    return links


def _notes(value: object) -> list[str]:
    if not isinstance(value, list):
        raise TypeError
    return [_text(note) for note in value]


_FROM_JSON: dict[str, Callable[[object], Any]] = {
    **dict.fromkeys(
        (
            "image",
            "user",
            "source",
            "lab",
            "routeros_version",
        ),
        _text,
    ),
    **dict.fromkeys(("memory_mib", "cpus", "pid"), _int),
    "provision_port": _port,
    "name": _matching(_NAME),
    "arch": _one_of(*ARCHES),
    "accel_requested": _one_of(*ACCELS),
    "accel": _one_of("", *ACCELS[1:]),
    "mac": _matching(_MAC),
    **dict.fromkeys(("started_at", "created_at"), _number),
    "publish_all": _flag,
    "base_image": _path,
    "firmware_code": _optional_path,
    "status": _status,
    "password_file": _password_file,
    "ports": _ports,
    "links": _links,
    "notes": _notes,
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


def password_of(record: MachineRecord) -> str:
    if not record.password_file:
        return ""
    try:
        return (record.dir / record.password_file).read_text().strip()
    except OSError as exc:
        raise MachineError(
            f"cannot read the password of {record.name}: {exc}",
            hint=f"the file {record.dir / record.password_file} was removed",
        ) from exc
