"""Turn a compose project into an /app YAML, listing what does not carry over.

The /app format is a subset of compose with RouterOS's own port labels and volume names (folders
of the app's disk). What it cannot express is reported as :class:`Dropped` items, each with the
line of the compose file, instead of being lost silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mikrodock.compose.model import ComposePort, ComposeProject, ComposeService, ComposeVolume
from mikrodock.compose.render import Octal, dump_yaml, format_size, healthcheck_dict
from mikrodock.errors import UsageError

__all__ = ["MAX_EXPANDED_PORTS", "ConversionResult", "Dropped", "compose_to_app"]

MAX_EXPANDED_PORTS = 1024
"""The widest port range written out port by port (a range of 65,535 would be 65,535 lines)."""

_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")


@dataclass(frozen=True)
class Dropped:
    """Something of the compose file that the /app YAML does not carry (or carries changed)."""

    service: str | None
    key: str
    line: int
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        service = f"service {self.service}: " if self.service else ""
        return f"{where}{service}{self.key}: {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {"service": self.service, "key": self.key, "line": self.line, "reason": self.reason}


@dataclass(frozen=True)
class ConversionResult:
    app: dict[str, Any]
    yaml_text: str
    dropped: tuple[Dropped, ...]


class _Converter:
    def __init__(self, project: ComposeProject) -> None:
        self.project = project
        self.dropped: list[Dropped] = []

    def drop(self, service: ComposeService | None, key: str, line: int, reason: str) -> None:
        self.dropped.append(Dropped(service.name if service else None, key, line, reason))

    def ports(self, service: ComposeService) -> list[str]:
        out: list[str] = []
        for port in service.ports:
            out.extend(self.port(service, port))
        return out

    def port(self, service: ComposeService, port: ComposePort) -> list[str]:
        prefix = ""
        if port.host_ip and _IPV4.match(port.host_ip):
            prefix = f"{port.host_ip}:"
        elif port.host_ip:
            self.drop(
                service,
                "ports",
                port.line,
                f"address {port.host_ip} dropped: /app takes IPv4 addresses only",
            )
        published = port.published
        if published is None:
            published = port.target
            self.drop(
                service,
                "ports",
                port.line,
                f"{port.short()} has no host port: published on {port.target}",
            )
        if port.count > MAX_EXPANDED_PORTS:
            raise UsageError(
                f"service {service.name}: port range {port.short()} would be {port.count} single"
                f" ports in /app, which has no ranges (at most {MAX_EXPANDED_PORTS})",
                hint="publish a narrower range (`mikrodock compose up` deploys wide ones)",
            )
        if port.count > 1:
            self.drop(
                service,
                "ports",
                port.line,
                f"range {port.short()} written as {port.count} single ports",
            )
        proto = "" if port.protocol == "tcp" else f"/{port.protocol}"
        label = f":{port.name}" if port.name else ""
        return [
            f"{prefix}{published + i}:{port.target + i}{proto}{label}" for i in range(port.count)
        ]

    def volume(self, service: ComposeService, volume: ComposeVolume, index: int) -> str | None:
        if volume.type == "tmpfs":
            self.drop(service, "volumes", volume.line, f"tmpfs {volume.target}: /app has none")
            return None
        if volume.read_only:
            self.drop(
                service,
                "volumes",
                volume.line,
                f"{volume.target}: read-only is not carried, /app mounts read-write",
            )
        if volume.source is None:
            name = f"{service.name}-{index}"
            self.drop(
                service,
                "volumes",
                volume.line,
                f"anonymous volume {volume.target} becomes the named volume {name}",
            )
            return f"{name}:{volume.target}"
        if volume.type == "bind":
            name = volume.source.lstrip("./~").strip("/") or service.name
            self.drop(
                service,
                "volumes",
                volume.line,
                f"folder {volume.source} becomes the app volume {name!r}: copy its files"
                " to that folder of the app's disk",
            )
            return f"{name}:{volume.target}"
        return f"{volume.source}:{volume.target}"

    def service(self, service: ComposeService) -> dict[str, Any]:
        data: dict[str, Any] = {"image": service.image}
        for key in ("container_name", "hostname", "user"):
            value = getattr(service, key)
            if value is not None:
                data[key] = value
        for key in ("entrypoint", "command"):
            value = getattr(service, key)
            if value is not None:
                data[key] = value if isinstance(value, str) else list(value)
        if service.ports:
            data["ports"] = self.ports(service)
        if service.environment:
            data["environment"] = dict(service.environment)
        volumes = [self.volume(service, v, i) for i, v in enumerate(service.volumes, start=1)]
        if any(volumes):
            data["volumes"] = [v for v in volumes if v]
        if service.configs:
            data["configs"] = [
                {"source": c.source, "target": c.target}
                | ({} if c.mode is None else {"mode": Octal(c.mode)})
                for c in service.configs
            ]
        restart = service.restart
        if restart.startswith("on-failure:"):
            self.drop(service, "restart", service.line, f"{restart}: the retry count is dropped")
            restart = "on-failure"
        if restart != "no":
            data["restart"] = restart
        if service.depends_on:
            data["depends_on"] = list(service.depends_on)
        if service.healthcheck is not None:
            data["healthcheck"] = self.healthcheck(service)
        if service.devices:
            data["devices"] = list(service.devices)
        if service.shm_size is not None:
            data["shm_size"] = format_size(service.shm_size)
        for key, value in (("working_dir", service.working_dir), ("tmpfs", service.tmpfs)):
            if value:
                self.drop(service, key, service.line, "/app has no such setting")
        extra = [n for n in service.networks if n != "default"]
        if extra:
            self.drop(
                service,
                "networks",
                service.line,
                f"{', '.join(extra)}: an /app's services share one network",
            )
        for key, line in service.ignored:
            self.drop(service, key, line, "/app has no such setting")
        return data

    def healthcheck(self, service: ComposeService) -> dict[str, Any]:
        assert service.healthcheck is not None
        data = healthcheck_dict(service.healthcheck)
        if "disable" in data:
            self.drop(service, "healthcheck", service.line, "disable: written as no check")
            return {}
        return data

    def convert(self) -> dict[str, Any]:
        app: dict[str, Any] = {"name": self.project.name}
        app["services"] = {s.name: self.service(s) for s in self.project.services}
        if self.project.volumes:
            app["volumes"] = {name: None for name in self.project.volumes}
        if self.project.configs:
            app["configs"] = {c.name: {"content": c.content} for c in self.project.configs}
        for key, line in self.project.ignored:
            self.drop(None, key, line, "/app has no such section")
        return app


def compose_to_app(project: ComposeProject) -> ConversionResult:
    """The /app YAML for ``project`` and what could not be carried over."""
    converter = _Converter(project)
    app = converter.convert()
    return ConversionResult(app=app, yaml_text=dump_yaml(app), dropped=tuple(converter.dropped))
