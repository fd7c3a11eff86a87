"""What RouterOS computes from an /app YAML: ``containers``, ``environment``, ``firewall-redirects``
and ``required-mounts``, written exactly as RouterOS 7.22 writes them.

The rules, read off the built-in apps of RouterOS 7.22.3 (their YAML next to the fields the router
stored; see docs/APP-YAML.md for the evidence and for what was inferred):

- ``containers``: one ``SERVICE:none:IMAGE[:COMMAND]`` per service, services sorted by name
  (byte order), joined by ``,``. The command is added only when it is a single string (a list
  command is left out); its text is used as YAML reads it (a folded ``>`` block keeps its final
  newline). Nothing is quoted or escaped.
- ``environment``: the services sorted by name; per service, a mapping's entries sorted by key, a
  list's items in their order. An entry is ``KEY=VALUE``, or ``KEY`` alone when the value is empty
  (``KEY:``, ``KEY=`` or a bare ``KEY`` list item). Entries identical in several services are
  written once, at the place of their first appearance, after all those services joined by ``,``:
  ``db,server:POSTGRES_DB=nextcloud``. Values are the raw YAML text (``true``, ``0``, ``null``).
- ``firewall-redirects``: one ``[IP:]HOST:CONTAINER:PROTO[:LABEL]`` per published port, services
  in document order, ports in their order; the protocol defaults to ``tcp``.
- ``required-mounts``: the source (text before the first ``:``) of every volume, services sorted
  by name, volumes in their order, repeats kept.

Placeholders such as ``[accessIP]`` or ``[accessPort]`` are left as they are.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from mikrodock.routeros.yaml_nodes import (
    MappingNode,
    Node,
    ScalarNode,
    YamlError,
    compose,
    is_null,
    line_of,
    mapping_get,
    mapping_items,
    scalar_text,
    sequence_items,
    to_python,
)

__all__ = [
    "AppDocument",
    "AppPort",
    "AppService",
    "interpret_app_yaml",
    "parse_app_port",
    "read_app",
]

_PROTOCOLS = ("tcp", "udp")
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_PLACEHOLDER = re.compile(r"^\[[A-Za-z0-9]+\]$")


def _bytes(text: str) -> bytes:
    """The sort key of RouterOS's ordered maps: the UTF-8 bytes."""
    return text.encode("utf-8", "surrogatepass")


@dataclass(frozen=True)
class AppPort:
    """One published port of an /app service, as text (placeholders stay placeholders)."""

    host: str
    container: str
    protocol: str = "tcp"
    label: str | None = None
    host_ip: str | None = None

    def field_text(self) -> str:
        """The entry of ``firewall-redirects``: ``[IP:]HOST:CONTAINER:PROTO[:LABEL]``."""
        ip = f"{self.host_ip}:" if self.host_ip else ""
        label = f":{self.label}" if self.label else ""
        return f"{ip}{self.host}:{self.container}:{self.protocol}{label}"


@dataclass(frozen=True)
class AppService:
    """One service of an /app, reduced to what the computed fields need."""

    name: str
    image: str
    command: str | None
    """The command when given as one string; None when absent, empty or a list."""
    command_list: tuple[str, ...] | None
    entrypoint: str | tuple[str, ...] | None
    container_name: str | None
    environment: tuple[str, ...]
    """Entries as RouterOS writes them: ``KEY=VALUE`` or ``KEY``, in RouterOS's order."""
    volume_sources: tuple[str, ...]
    ports: tuple[AppPort, ...]
    line: int


@dataclass(frozen=True)
class AppDocument:
    name: str | None
    services: tuple[AppService, ...]
    """In document order."""

    def sorted_services(self) -> list[AppService]:
        return sorted(self.services, key=lambda service: _bytes(service.name))


def _is_port_text(text: str) -> bool:
    return text.isdigit() or bool(_PLACEHOLDER.match(text)) or bool(re.fullmatch(r"\d+-\d+", text))


def parse_app_port(text: str) -> AppPort:
    """A short port: ``[IP:]HOST:CTR[/PROTO][:LABEL]`` or ``[IP:]HOST:CTR[:LABEL][:PROTO]``.

    A lone ``PORT`` publishes the same port number on the router. A trailing ``:tcp``/``:udp``
    (the RouterOS 7.23 style) is the protocol, not a label.
    """
    parts = text.strip().split(":")
    host_ip: str | None = None
    if len(parts) >= 3 and (
        _IPV4.match(parts[0])
        or (
            _PLACEHOLDER.match(parts[0])
            and _is_port_text(parts[1])
            and _is_port_text(parts[2].split("/", 1)[0])
        )
    ):
        host_ip = parts.pop(0)
    if len(parts) == 1:
        container, protocol = _split_protocol(parts[0])
        return AppPort(
            host=container, container=container, protocol=protocol or "tcp", host_ip=host_ip
        )
    host = parts[0]
    container, protocol = _split_protocol(parts[1])
    rest = parts[2:]
    if protocol is None and rest and rest[-1].lower() in _PROTOCOLS:
        protocol = rest.pop().lower()
    label = ":".join(rest) or None
    return AppPort(
        host=host, container=container, protocol=protocol or "tcp", label=label, host_ip=host_ip
    )


def _split_protocol(text: str) -> tuple[str, str | None]:
    if "/" in text:
        port, protocol = text.split("/", 1)
        return port, protocol.lower()
    return text, None


def _port_from_node(node: Node, source: str) -> AppPort:
    if isinstance(node, MappingNode):
        fields = {key: value for key, value in mapping_items(node, "a port", source=source)}
        target = fields.get("target")
        if target is None or is_null(target):
            raise YamlError("a long-form port needs target:", line=line_of(node), source=source)
        container = scalar_text(target, "target", source=source)
        host = _optional_text(fields.get("published"), source) or container
        protocol = _optional_text(fields.get("protocol"), source) or "tcp"
        label = _optional_text(fields.get("name"), source)
        host_ip = _optional_text(fields.get("host_ip"), source)
        return AppPort(
            host=host, container=container, protocol=protocol.lower(), label=label, host_ip=host_ip
        )
    return parse_app_port(scalar_text(node, "a port", source=source))


def _optional_text(node: Node | None, source: str) -> str | None:
    if node is None or is_null(node):
        return None
    return scalar_text(node, "a port field", source=source) or None


def _env_value_text(node: Node) -> str:
    if isinstance(node, ScalarNode):
        return str(node.value)
    return json.dumps(to_python(node), separators=(",", ":"))


def _environment(node: Node | None, source: str) -> tuple[str, ...]:
    if node is None or is_null(node):
        return ()
    if isinstance(node, MappingNode):
        entries: dict[str, str] = {}
        for key, value in mapping_items(node, "environment", source=source):
            # RouterOS keeps the raw text: `K: null` gives K=null, only an empty value gives K
            text = _env_value_text(value)
            entries[key] = f"{key}={text}" if text else key
        return tuple(entries[key] for key in sorted(entries, key=_bytes))
    out = []
    for item in sequence_items(node, "environment", source=source):
        if is_null(item):
            continue
        # read as KEY and VALUE like a mapping entry: `KEY=` is written `KEY`
        name, _sep, rest = scalar_text(item, "an environment entry", source=source).partition("=")
        out.append(f"{name}={rest}" if rest else name)
    return tuple(out)


def _volume_sources(node: Node | None, source: str) -> tuple[str, ...]:
    if node is None:
        return ()
    sources: list[str] = []
    for item in sequence_items(node, "volumes", source=source):
        if isinstance(item, MappingNode):
            src = mapping_get(item, "source")
            if src is not None and not is_null(src):
                sources.append(scalar_text(src, "source", source=source))
            continue
        text = scalar_text(item, "a volume", source=source)
        if text:
            sources.append(text.split(":", 1)[0])
    return tuple(sources)


def _string_or_list(node: Node | None, what: str, source: str) -> str | tuple[str, ...] | None:
    if node is None or is_null(node):
        return None
    if isinstance(node, ScalarNode):
        return str(node.value)
    return tuple(
        scalar_text(item, what, source=source) for item in sequence_items(node, what, source=source)
    )


def _service(name: str, node: Node, source: str) -> AppService:
    if not isinstance(node, MappingNode):
        raise YamlError(f"service {name!r} must be a mapping", line=line_of(node), source=source)
    image_node = mapping_get(node, "image")
    image = (
        ""
        if image_node is None or is_null(image_node)
        else scalar_text(image_node, "image", source=source)
    )
    command = _string_or_list(mapping_get(node, "command"), "command", source)
    ports_node = mapping_get(node, "ports")
    ports = (
        ()
        if ports_node is None
        else tuple(
            _port_from_node(item, source)
            for item in sequence_items(ports_node, "ports", source=source)
            if not is_null(item)
        )
    )
    container_name = mapping_get(node, "container_name")
    return AppService(
        name=name,
        image=image,
        command=command if isinstance(command, str) and command else None,
        command_list=command if isinstance(command, tuple) else None,
        entrypoint=_string_or_list(mapping_get(node, "entrypoint"), "entrypoint", source),
        container_name=None
        if container_name is None or is_null(container_name)
        else scalar_text(container_name, "container_name", source=source),
        environment=_environment(mapping_get(node, "environment"), source),
        volume_sources=_volume_sources(mapping_get(node, "volumes"), source),
        ports=ports,
        line=line_of(node),
    )


def read_app(yaml_text: str, *, source: str = "") -> AppDocument:
    """Read an /app YAML into an :class:`AppDocument`; errors name the line."""
    root = compose(yaml_text, source=source)
    if root is None or not isinstance(root, MappingNode):
        raise YamlError(
            "an /app YAML must be a mapping with services:",
            source=source,
            line=None if root is None else line_of(root),
        )
    services_node = mapping_get(root, "services")
    if services_node is None or is_null(services_node):
        raise YamlError(
            "no services: in the /app YAML",
            source=source,
            hint="add a services: mapping with at least one service",
        )
    services = tuple(
        _service(name, node, source)
        for name, node in mapping_items(services_node, "services", source=source)
    )
    name_node = mapping_get(root, "name")
    name = None if name_node is None or is_null(name_node) else scalar_text(name_node, "name")
    return AppDocument(name=name, services=services)


def _containers_field(document: AppDocument) -> str:
    entries = []
    for service in document.sorted_services():
        command = f":{service.command}" if service.command else ""
        entries.append(f"{service.name}:none:{service.image}{command}")
    return ",".join(entries)


def _environment_field(document: AppDocument) -> str:
    owners: dict[str, list[str]] = {}
    for service in document.sorted_services():
        for entry in service.environment:
            names = owners.setdefault(entry, [])
            if service.name not in names:
                names.append(service.name)
    return ",".join(f"{','.join(names)}:{entry}" for entry, names in owners.items())


def _firewall_field(document: AppDocument) -> str:
    return ",".join(port.field_text() for service in document.services for port in service.ports)


def _mounts_field(document: AppDocument) -> str:
    return ",".join(src for service in document.sorted_services() for src in service.volume_sources)


def interpret_app_yaml(yaml_text: str) -> dict[str, str]:
    """The four fields RouterOS 7.22 stores for an /app added with ``yaml=yaml_text``.

    Returns ``{"containers", "environment", "firewall-redirects", "required-mounts"}``.
    Raises :class:`~mikrodock.routeros.yaml_nodes.YamlError` (a UsageError) for YAML that RouterOS
    could not read at all (bad syntax, no services).
    """
    document = read_app(yaml_text)
    return {
        "containers": _containers_field(document),
        "environment": _environment_field(document),
        "firewall-redirects": _firewall_field(document),
        "required-mounts": _mounts_field(document),
    }
