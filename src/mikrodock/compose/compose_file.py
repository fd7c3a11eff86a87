"""Load a compose file into a :class:`~mikrodock.compose.model.ComposeProject`.

Reads the file, interpolates variables (``.env`` next to the file, then the environment), checks
every key, and resolves what a deploy needs (env_file, config contents, start order). Every error
names the file and the line, and says how to fix it. Keys of the compose specification that
mikrodock cannot carry to a router are kept in ``ignored`` so the caller can tell the user.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from mikrodock.compose.interpolate import InterpolationError, interpolate, parse_dotenv
from mikrodock.compose.model import ComposeProject, ComposeService
from mikrodock.compose.service_fields import ServiceReader
from mikrodock.routeros.yaml_nodes import (
    MappingNode,
    Node,
    ScalarNode,
    SequenceNode,
    YamlError,
    compose,
    is_null,
    key_line,
    line_of,
    mapping_get,
    mapping_items,
    read_source,
    scalar_text,
)

__all__ = [
    "DEFAULT_FILES",
    "find_compose_file",
    "load_compose",
    "load_compose_text",
    "project_name_from",
]

DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")

_TOP_KEYS = {"version", "name", "services", "volumes", "networks", "configs"}
_TOP_IGNORED = {"secrets", "include", "models"}


def find_compose_file(directory: Path | None = None) -> Path:
    """The compose file of ``directory`` (the current one by default), as ``docker compose``."""
    folder = directory or Path.cwd()
    for name in DEFAULT_FILES:
        if (folder / name).is_file():
            return folder / name
    raise YamlError(
        f"no compose file in {folder}", hint=f"give one with -f, or create {DEFAULT_FILES[0]}"
    )


def project_name_from(text: str) -> str:
    """A project name as compose normalises it: lower case, letters, digits, ``_`` and ``-``."""
    name = re.sub(r"[^a-z0-9_-]", "", text.lower()).lstrip("_-")
    return name


def _interpolate_tree(node: Node | None, env: Mapping[str, str], source: str) -> None:
    if node is None:
        return
    if isinstance(node, ScalarNode):
        if "$" in str(node.value):
            try:
                node.value = interpolate(str(node.value), env)
            except InterpolationError as exc:
                raise YamlError(
                    str(exc), line=line_of(node), source=source, hint=exc.hint
                ) from None
        return
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if isinstance(key, ScalarNode) and str(key.value).startswith("x-"):
                continue  # extensions are not interpolated: they are anchors' raw material
            _interpolate_tree(value, env, source)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            _interpolate_tree(item, env, source)


def _environment(base_dir: Path, environ: Mapping[str, str] | None, source: str) -> dict[str, str]:
    shell = dict(os.environ if environ is None else environ)
    dotenv = base_dir / ".env"
    values: dict[str, str] = {}
    if dotenv.is_file():
        try:
            values = parse_dotenv(dotenv.read_text(encoding="utf-8"), shell)
        except InterpolationError as exc:
            raise YamlError(f"{dotenv}: {exc}", hint=exc.hint) from None
    return {**values, **shell}


def load_compose_text(
    text: str,
    *,
    source: str = "compose.yaml",
    base_dir: Path | None = None,
    project_name: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> ComposeProject:
    """Load compose YAML ``text``; relative paths (``.env``, env_file, config files) are read
    from ``base_dir``. ``environ`` replaces ``os.environ`` (for tests)."""
    folder = (base_dir or Path.cwd()).resolve()
    env = _environment(folder, environ, source)
    root = compose(text, source=source)
    if root is None or not isinstance(root, MappingNode):
        raise YamlError(
            "a compose file must be a mapping with services:",
            source=source,
            line=None if root is None else line_of(root),
        )
    _interpolate_tree(root, env, source)
    ignored: list[tuple[str, int]] = []
    for key, _value in mapping_items(root, "the compose file", source=source):
        if key in _TOP_KEYS or key.startswith("x-"):
            continue
        line = key_line(root, key)
        if key in _TOP_IGNORED:
            ignored.append((key, line or 0))
            continue
        raise YamlError(
            f"unknown top-level key {key!r}",
            line=line,
            source=source,
            hint=f"use only {', '.join(sorted(_TOP_KEYS))} (and x-* extensions)",
        )
    volumes = _names(mapping_get(root, "volumes"), "volumes", source)
    networks = _names(mapping_get(root, "networks"), "networks", source)
    reader = ServiceReader(
        source=source,
        base_dir=folder,
        env=env,
        volumes=frozenset(volumes),
        networks=frozenset(networks),
    )
    configs = reader.top_level_configs(mapping_get(root, "configs"))
    services_node = mapping_get(root, "services")
    if services_node is None or is_null(services_node):
        raise YamlError(
            "no services: in the compose file",
            source=source,
            hint="add a services: mapping with at least one service",
        )
    services = [
        reader.service(
            name, node, {config.name for config in configs}, key_line(services_node, name)
        )
        for name, node in mapping_items(services_node, "services", source=source)
    ]
    if not services:
        raise YamlError(
            "services: is empty",
            line=line_of(services_node),
            source=source,
            hint="add at least one service",
        )
    _check_dependencies(services, source)
    name_node = mapping_get(root, "name")
    name = project_name or (
        None
        if name_node is None or is_null(name_node)
        else scalar_text(name_node, "name", source=source)
    )
    name = name or env.get("COMPOSE_PROJECT_NAME") or folder.name
    normalised = project_name_from(name)
    if not normalised:
        raise YamlError(
            f"project name {name!r} has no usable character",
            source=source,
            hint="give one with -p NAME (letters, digits, _ and -)",
        )
    return ComposeProject(
        name=normalised,
        services=tuple(services),
        volumes=tuple(volumes),
        networks=tuple(networks),
        configs=tuple(configs),
        source=source,
        working_dir=str(folder),
        ignored=tuple(ignored),
    )


def load_compose(
    path: Path | None = None,
    *,
    project_name: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> ComposeProject:
    """Load the compose file at ``path`` (found like ``docker compose`` when None)."""
    file = path if path is not None else find_compose_file()
    text = read_source(str(file))
    return load_compose_text(
        text, source=str(file), base_dir=file.parent, project_name=project_name, environ=environ
    )


def _names(node: Node | None, what: str, source: str) -> list[str]:
    if node is None or is_null(node):
        return []
    return [name for name, _value in mapping_items(node, what, source=source)]


def _check_dependencies(services: list[ComposeService], source: str) -> None:
    known = {service.name for service in services}
    for service in services:
        for dependency in service.depends_on:
            if dependency not in known:
                raise YamlError(
                    f"service {service.name!r} depends on unknown service {dependency!r}",
                    line=service.line,
                    source=source,
                    hint=f"use one of: {', '.join(sorted(known))}",
                )
    graph = {service.name: service.depends_on for service in services}
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = " -> ".join([*trail[trail.index(name) :], name])
            line = next(s.line for s in services if s.name == name)
            raise YamlError(
                f"depends_on has a cycle: {cycle}",
                line=line,
                source=source,
                hint="remove one of these dependencies",
            )
        state[name] = 1
        for dependency in graph[name]:
            visit(dependency, [*trail, name])
        state[name] = 2

    for service in services:
        visit(service.name, [])
