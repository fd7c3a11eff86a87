"""The helpers shared by the service reader, and the smaller service keys (healthcheck,
networks, configs) plus the top-level ``configs:``."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mikrodock.compose.model import ComposeConfig, ComposeConfigMount, ComposeHealthcheck
from mikrodock.compose.parts import SpecError, parse_duration
from mikrodock.errors import UsageError
from mikrodock.routeros.yaml_nodes import (
    MappingNode,
    Node,
    ScalarNode,
    YamlError,
    is_null,
    line_of,
    mapping_get,
    mapping_items,
    scalar_text,
    sequence_items,
)

__all__ = ["ReaderBase"]


@dataclass
class ReaderBase:
    """What reading a service needs: where the file is, the variables, the declared names."""

    source: str
    base_dir: Path
    env: Mapping[str, str]
    volumes: frozenset[str]
    networks: frozenset[str]

    def _error(self, message: str, node: Node | None, hint: str | None = None) -> YamlError:
        return YamlError(
            message, line=None if node is None else line_of(node), source=self.source, hint=hint
        )

    def _text(self, node: Node | None, what: str) -> str | None:
        if node is None or is_null(node):
            return None
        return scalar_text(node, what, source=self.source)

    def _texts(self, node: Node | None, what: str, *, split: bool = False) -> tuple[str, ...]:
        if node is None or is_null(node):
            return ()
        if split and isinstance(node, ScalarNode):
            return (str(node.value),)
        return tuple(
            scalar_text(item, what, source=self.source)
            for item in sequence_items(node, what, source=self.source)
        )

    def _string_or_list(self, node: Node | None, what: str) -> str | tuple[str, ...] | None:
        if node is None or is_null(node):
            return None
        if isinstance(node, ScalarNode):
            return str(node.value)
        return self._texts(node, what)

    def _parse(self, parser: Callable[[str], Any], node: Node, what: str) -> Any:
        try:
            return parser(scalar_text(node, what, source=self.source))
        except (SpecError, UsageError) as exc:
            raise self._error(str(exc), node, exc.hint) from None

    def _checked(self, node: Node | None, what: str, check: Callable[[str], str]) -> str | None:
        """The text of ``node`` once ``check`` (a run-flag parser) accepts it; None when unset."""
        if node is None or is_null(node):
            return None
        return str(self._parse(check, node, what))

    def _healthcheck(self, node: Node | None) -> ComposeHealthcheck | None:
        if node is None or is_null(node):
            return None
        fields = dict(mapping_items(node, "healthcheck", source=self.source))
        unknown = set(fields) - {
            "test",
            "interval",
            "timeout",
            "retries",
            "start_period",
            "start_interval",
            "disable",
        }
        if unknown:
            raise self._error(
                f"unknown key {sorted(unknown)[0]!r} in healthcheck",
                node,
                "use test, interval, timeout, retries, start_period, disable",
            )
        test = self._string_or_list(fields.get("test"), "test")
        if isinstance(test, str):
            test = ("CMD-SHELL", test)
        if test and test[0] not in ("CMD", "CMD-SHELL", "NONE"):
            raise self._error(
                f"healthcheck test starts with {test[0]!r}",
                fields["test"],
                "start the list with CMD, CMD-SHELL or NONE",
            )

        def seconds(key: str) -> float | None:
            value = fields.get(key)
            return (
                None if value is None or is_null(value) else self._parse(parse_duration, value, key)
            )

        retries = self._text(fields.get("retries"), "retries")
        if retries is not None and not re.fullmatch(r"[0-9]{1,9}", retries):
            raise self._error(f"healthcheck retries {retries!r} is not a number", fields["retries"])
        disable = self._text(fields.get("disable"), "disable") == "true" or test == ("NONE",)
        return ComposeHealthcheck(
            test=tuple(test or ()),
            interval=seconds("interval"),
            timeout=seconds("timeout"),
            retries=None if retries is None else int(retries),
            start_period=seconds("start_period"),
            disable=disable,
        )

    def _networks(self, node: Node | None) -> tuple[str, ...]:
        if node is None or is_null(node):
            return ()
        if isinstance(node, MappingNode):
            names = [
                (name, value) for name, value in mapping_items(node, "networks", source=self.source)
            ]
        else:
            names = [
                (scalar_text(item, "a network", source=self.source), item)
                for item in sequence_items(node, "networks", source=self.source)
            ]
        for name, item in names:
            if name != "default" and name not in self.networks:
                raise self._error(
                    f"network {name!r} is not declared",
                    item,
                    f"add it under the top-level networks: ({name}: {{}})",
                )
        return tuple(name for name, _item in names)

    def _config_mounts(self, node: Node | None, known: set[str]) -> tuple[ComposeConfigMount, ...]:
        mounts = []
        for item in sequence_items(node, "configs", source=self.source) if node else []:
            if isinstance(item, MappingNode):
                source = self._text(mapping_get(item, "source"), "source") or ""
                target = self._text(mapping_get(item, "target"), "target") or f"/{source}"
                mode_text = self._text(mapping_get(item, "mode"), "mode")
            else:
                source = scalar_text(item, "a config", source=self.source)
                target, mode_text = f"/{source}", None
            if source not in known:
                raise self._error(
                    f"config {source!r} is not declared",
                    item,
                    "add it under the top-level configs: with content:",
                )
            mode = None
            if mode_text is not None:
                try:
                    octal = mode_text.startswith("0") and len(mode_text) > 1
                    mode = int(mode_text.removeprefix("0o"), 8) if octal else int(mode_text)
                except ValueError:
                    raise self._error(f"config mode {mode_text!r} is not octal", item) from None
            mounts.append(
                ComposeConfigMount(source=source, target=target, mode=mode, line=line_of(item))
            )
        return tuple(mounts)

    def top_level_configs(self, node: Node | None) -> list[ComposeConfig]:
        if node is None or is_null(node):
            return []
        configs = []
        for name, value in mapping_items(node, "configs", source=self.source):
            fields: dict[str, Any] = {}
            if isinstance(value, MappingNode):
                fields = dict(mapping_items(value, f"config {name}", source=self.source))
            content = self._text(fields.get("content"), "content")
            if content is None and fields.get("file") is not None:
                path = self.base_dir / (self._text(fields["file"], "file") or "")
                if not path.is_file():
                    raise self._error(f"config {name!r}: file {path} not found", fields["file"])
                content = path.read_text(encoding="utf-8")
            if content is None and fields.get("environment") is not None:
                variable = self._text(fields["environment"], "environment") or ""
                content = self.env.get(variable)
                if content is None:
                    raise self._error(
                        f"config {name!r}: variable {variable} is not set",
                        fields["environment"],
                        f"set {variable}",
                    )
            if content is None:
                raise self._error(
                    f"config {name!r} has no content:, file: or environment:",
                    value,
                    "mikrodock carries configs with their content only",
                )
            configs.append(ComposeConfig(name=name, content=content, line=line_of(value)))
        return configs
