"""Write YAML the way people read it (block style, keys in order, 2-space indents), and render a
loaded compose project back as YAML (``mikrodock compose config``)."""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import LiteralScalarString

from mikrodock.compose.model import ComposeHealthcheck, ComposeProject, ComposeService

__all__ = [
    "Octal",
    "dump_yaml",
    "format_duration",
    "format_size",
    "healthcheck_dict",
    "project_to_dict",
]


class Octal(int):
    """An int written in octal (``0644``), as file modes are."""


def _represent_octal(representer: RoundTripRepresenter, value: Octal) -> Any:
    return representer.represent_scalar("tag:yaml.org,2002:int", f"0{int(value):o}")


def _literal_blocks(data: Any) -> Any:
    """Multi-line strings as ``|`` blocks, the way people write config contents."""
    if isinstance(data, dict):
        return {key: _literal_blocks(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_literal_blocks(item) for item in data]
    if (isinstance(data, str) and "\n" in data.rstrip("\n")) or (
        isinstance(data, str) and data.endswith("\n") and data.count("\n") == 1 and len(data) > 1
    ):
        return LiteralScalarString(data)
    return data


def dump_yaml(data: Any) -> str:
    data = _literal_blocks(data)
    yaml = YAML(typ="rt", pure=True)
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    yaml.representer.add_representer(Octal, _represent_octal)
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue()


def format_duration(seconds: float) -> str:
    """``90.0`` -> ``1m30s``; ``0.5`` -> ``500ms``."""
    millis = round(seconds * 1000)
    if millis % 1000:
        return f"{millis}ms"
    total = millis // 1000
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    return text + (f"{secs}s" if secs or not text else "")


def format_size(size: int) -> str:
    for unit, factor in (("g", 1024**3), ("m", 1024**2), ("k", 1024)):
        if size % factor == 0 and size >= factor:
            return f"{size // factor}{unit}"
    return f"{size}b"


def healthcheck_dict(check: ComposeHealthcheck) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if check.disable:
        return {"disable": True}
    if check.test:
        data["test"] = list(check.test)
    for key in ("interval", "timeout", "start_period"):
        value = getattr(check, key)
        if value is not None:
            data[key] = format_duration(value)
    if check.retries is not None:
        data["retries"] = check.retries
    return data


def _service(service: ComposeService) -> dict[str, Any]:
    data: dict[str, Any] = {"image": service.image}
    simple = ("container_name", "hostname", "user", "working_dir")
    for key in simple:
        value = getattr(service, key)
        if value is not None:
            data[key] = value
    for key in ("entrypoint", "command"):
        value = getattr(service, key)
        if value is not None:
            data[key] = value if isinstance(value, str) else list(value)
    if service.ports:
        data["ports"] = [
            port.short()
            if port.name is None
            else {"target": port.target, "published": port.published, "name": port.name}
            | ({} if port.protocol == "tcp" else {"protocol": port.protocol})
            for port in service.ports
        ]
    if service.environment:
        data["environment"] = dict(service.environment)
    if service.volumes:
        data["volumes"] = [
            (f"{v.source}:" if v.source else "") + v.target + (":ro" if v.read_only else "")
            for v in service.volumes
        ]
    if service.tmpfs:
        data["tmpfs"] = list(service.tmpfs)
    if service.devices:
        data["devices"] = list(service.devices)
    if service.shm_size is not None:
        data["shm_size"] = format_size(service.shm_size)
    if service.restart != "no":
        data["restart"] = service.restart
    if service.depends_on:
        data["depends_on"] = list(service.depends_on)
    if service.healthcheck is not None:
        data["healthcheck"] = healthcheck_dict(service.healthcheck)
    if service.networks:
        data["networks"] = list(service.networks)
    if service.configs:
        data["configs"] = [
            {"source": c.source, "target": c.target}
            | ({} if c.mode is None else {"mode": Octal(c.mode)})
            for c in service.configs
        ]
    return data


def _escape(data: Any) -> Any:
    """Values are final: each ``$`` is written ``$$`` so that reading the output keeps it."""
    if isinstance(data, dict):
        return {key: _escape(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_escape(item) for item in data]
    if isinstance(data, str):
        return data.replace("$", "$$")
    return data


def project_to_dict(project: ComposeProject) -> dict[str, Any]:
    """The project as resolved compose data: variables filled in, env_file merged, ``$``
    escaped (the output is a compose file that reads back the same)."""
    data: dict[str, Any] = {"name": project.name}
    data["services"] = {service.name: _service(service) for service in project.services}
    if project.volumes:
        data["volumes"] = {name: {} for name in project.volumes}
    if project.networks:
        data["networks"] = {name: {} for name in project.networks}
    if project.configs:
        data["configs"] = {config.name: {"content": config.content} for config in project.configs}
    return dict(_escape(data))
