"""A compose project as mikrodock understands it: frozen dataclasses, no YAML, no RouterOS.

Every item keeps the line of the compose file it came from, so later steps (conversion, planning)
can still point at the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "ComposeConfig",
    "ComposeConfigMount",
    "ComposeHealthcheck",
    "ComposePort",
    "ComposeProject",
    "ComposeService",
    "ComposeVolume",
]


@dataclass(frozen=True)
class ComposePort:
    """``[IP:][HOST:]CONTAINER[/PROTO]`` or the long syntax; ranges as ``start`` and ``count``."""

    target: int
    published: int | None = None
    """None: Docker would pick a free host port."""
    protocol: Literal["tcp", "udp"] = "tcp"
    host_ip: str | None = None
    count: int = 1
    name: str | None = None
    line: int = 0

    def short(self) -> str:
        """The short syntax for this mapping (``8080:80/udp``, ``127.0.0.1:8080-8081:80-81``)."""

        def span(start: int) -> str:
            return str(start) if self.count == 1 else f"{start}-{start + self.count - 1}"

        host = "" if self.published is None else f"{span(self.published)}:"
        if self.published is None and self.host_ip:
            host = ":"
        ip = ""
        if self.host_ip:
            ip = f"[{self.host_ip}]:" if ":" in self.host_ip else f"{self.host_ip}:"
        proto = "" if self.protocol == "tcp" else f"/{self.protocol}"
        return f"{ip}{host}{span(self.target)}{proto}"


@dataclass(frozen=True)
class ComposeVolume:
    """One entry of a service's ``volumes:``."""

    type: Literal["volume", "bind", "tmpfs"]
    target: str
    source: str | None = None
    """Volume name, or the host path as written (``./data``, ``/srv/x``); None: anonymous."""
    read_only: bool = False
    line: int = 0


@dataclass(frozen=True)
class ComposeHealthcheck:
    test: tuple[str, ...] = ()
    """As the spec writes it: ``("CMD", ...)``, ``("CMD-SHELL", "...")``, or ``("NONE",)``."""
    interval: float | None = None
    timeout: float | None = None
    retries: int | None = None
    start_period: float | None = None
    disable: bool = False


@dataclass(frozen=True)
class ComposeConfig:
    """A top-level ``configs:`` entry with its content (inline, or read from ``file:``)."""

    name: str
    content: str
    line: int = 0


@dataclass(frozen=True)
class ComposeConfigMount:
    source: str
    target: str
    mode: int | None = None
    line: int = 0


@dataclass(frozen=True)
class ComposeService:
    name: str
    image: str
    line: int = 0
    ports: tuple[ComposePort, ...] = ()
    environment: tuple[tuple[str, str], ...] = ()
    """Resolved: env_file first, then environment:, then bare keys from the shell; in order."""
    volumes: tuple[ComposeVolume, ...] = ()
    command: str | tuple[str, ...] | None = None
    entrypoint: str | tuple[str, ...] | None = None
    restart: str = "no"
    depends_on: tuple[str, ...] = ()
    healthcheck: ComposeHealthcheck | None = None
    hostname: str | None = None
    container_name: str | None = None
    user: str | None = None
    working_dir: str | None = None
    devices: tuple[str, ...] = ()
    shm_size: int | None = None
    tmpfs: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()
    configs: tuple[ComposeConfigMount, ...] = ()
    ignored: tuple[tuple[str, int], ...] = ()
    """Compose keys this service uses that mikrodock cannot carry over, with their lines."""


@dataclass(frozen=True)
class ComposeProject:
    name: str
    services: tuple[ComposeService, ...]
    """In document order."""
    volumes: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()
    configs: tuple[ComposeConfig, ...] = ()
    source: str = ""
    working_dir: str = ""
    ignored: tuple[tuple[str, int], ...] = field(default=())
    """Top-level keys that cannot be carried over, with their lines."""

    def service(self, name: str) -> ComposeService:
        for service in self.services:
            if service.name == name:
                return service
        raise KeyError(name)

    def start_order(self) -> list[ComposeService]:
        """Services with each one after those it depends on (ties: document order)."""
        done: list[str] = []
        pending = [service.name for service in self.services]
        while pending:
            for name in pending:
                if all(dep in done for dep in self.service(name).depends_on):
                    done.append(name)
                    pending.remove(name)
                    break
            else:  # a cycle; the loader refuses these, keep going in document order
                done.extend(pending)
                break
        return [self.service(name) for name in done]
