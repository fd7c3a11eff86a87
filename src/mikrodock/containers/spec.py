"""What a user asked for: container specs as frozen dataclasses, free of argv and of RouterOS.

The CLI (or the Python API) builds a :class:`ContainerSpec`; the planner turns it plus the router's
facts into steps. Nothing here knows flag syntax (see ``flags``) or RouterOS menus (see ``plan``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from mikrodock.containers.tags import APP_MARKER_PREFIX, TAG_PREFIX, app_marker, tag_for

__all__ = [
    "APP_MARKER_PREFIX",
    "DEFAULT_NETWORK",
    "TAG_PREFIX",
    "ContainerSpec",
    "EnvVar",
    "HealthCheck",
    "HostEntry",
    "Mount",
    "PortMapping",
    "RestartPolicy",
    "app_marker",
    "tag_for",
]

DEFAULT_NETWORK = "mikrodock"
"""The network a container joins when ``--network`` is not given."""

Protocol = Literal["tcp", "udp"]


@dataclass(frozen=True)
class PortMapping:
    """``-p [IP:]HOST:CTR[/proto]``; a range keeps its length on both sides."""

    host_port: int
    container_port: int
    protocol: Protocol = "tcp"
    host_ip: str | None = None
    count: int = 1
    """How many consecutive ports, from ``host_port`` and ``container_port`` on."""

    @property
    def host_ports(self) -> str:
        """``8080`` or ``8080-8082`` as RouterOS writes a port or a range."""
        return _port_text(self.host_port, self.count)

    @property
    def container_ports(self) -> str:
        return _port_text(self.container_port, self.count)

    def __str__(self) -> str:
        ip = f"{self.host_ip}:" if self.host_ip else ""
        return f"{ip}{self.host_ports}:{self.container_ports}/{self.protocol}"


def _port_text(start: int, count: int) -> str:
    return str(start) if count == 1 else f"{start}-{start + count - 1}"


@dataclass(frozen=True)
class EnvVar:
    """One environment variable of the container."""

    key: str
    value: str


@dataclass(frozen=True)
class Mount:
    """``-v SRC:DST[:ro]``: a router path (``disk1/data``) bound to a container path."""

    src: str
    dst: str
    read_only: bool = False


@dataclass(frozen=True)
class HostEntry:
    """``--add-host NAME:IP``."""

    name: str
    address: str


@dataclass(frozen=True)
class RestartPolicy:
    """``--restart no|always|on-failure[:N]|unless-stopped``."""

    name: Literal["no", "always", "on-failure", "unless-stopped"] = "no"
    max_retries: int | None = None

    def __str__(self) -> str:
        if self.max_retries is not None:
            return f"{self.name}:{self.max_retries}"
        return self.name


@dataclass(frozen=True)
class HealthCheck:
    """``--health-*``: durations in seconds, the command as argv."""

    cmd: tuple[str, ...] = ()
    interval: float | None = None
    timeout: float | None = None
    retries: int | None = None
    start_period: float | None = None

    @property
    def is_set(self) -> bool:
        return bool(self.cmd) or any(
            value is not None
            for value in (self.interval, self.timeout, self.retries, self.start_period)
        )


PullPolicy = Literal["always", "missing", "never"]


@dataclass(frozen=True)
class ContainerSpec:
    """Everything ``mikrodock run``/``create`` was asked to do, validated, argv-free."""

    name: str
    image: str
    """The image reference as the user wrote it (parsed by the planner)."""
    image_file: str | None = None
    """A router file (``file=``) to load instead of pulling ``image``."""
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    env: tuple[EnvVar, ...] = ()
    mounts: tuple[Mount, ...] = ()
    ports: tuple[PortMapping, ...] = ()
    workdir: str | None = None
    user: str | None = None
    hostname: str | None = None
    dns: tuple[str, ...] = ()
    hosts: tuple[HostEntry, ...] = ()
    restart: RestartPolicy = field(default_factory=RestartPolicy)
    memory: int | None = None
    memory_swap: int | None = None
    """Docker's ``--memory-swap``: memory plus swap in bytes; -1 for unlimited swap."""
    cpuset: str | None = None
    health: HealthCheck = field(default_factory=HealthCheck)
    stop_signal: str | None = None
    stop_timeout: float | None = None
    shm_size: int | None = None
    tmpfs: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()
    privileged: bool = False
    network: str = DEFAULT_NETWORK
    ip: str | None = None
    root_dir: str | None = None
    logging: bool = True
    pull: PullPolicy = "missing"
    auto_remove: bool = False
    start: bool = True
    """``run`` starts the container; ``create`` leaves it stopped."""
    registry_username: str | None = None
    registry_password: str | None = field(default=None, repr=False)
    force_service_port: bool = False
    """Publish a ``-p`` on every address even where the router serves WebFig, SSH, ... itself."""

    @property
    def tag(self) -> str:
        return tag_for(self.name)
