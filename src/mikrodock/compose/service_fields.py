"""Read one compose service (and the top-level configs) from its YAML node, key by key."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import Literal, cast

from mikrodock.compose.interpolate import InterpolationError, parse_dotenv
from mikrodock.compose.model import (
    ComposePort,
    ComposeService,
    ComposeVolume,
)
from mikrodock.compose.parts import (
    SpecError,
    parse_port,
    parse_size,
    parse_volume,
)
from mikrodock.compose.service_extras import ReaderBase
from mikrodock.containers.flags import check_name, parse_hostname, parse_workdir
from mikrodock.images.reference import parse_reference
from mikrodock.routeros.yaml_nodes import (
    MappingNode,
    Node,
    ScalarNode,
    YamlError,
    is_null,
    key_line,
    line_of,
    mapping_get,
    mapping_items,
    scalar_text,
    sequence_items,
)

__all__ = ["HANDLED_KEYS", "IGNORED_KEYS", "ServiceReader"]

HANDLED_KEYS = frozenset(
    {
        "image",
        "ports",
        "environment",
        "env_file",
        "volumes",
        "command",
        "entrypoint",
        "restart",
        "depends_on",
        "healthcheck",
        "hostname",
        "container_name",
        "user",
        "working_dir",
        "devices",
        "shm_size",
        "tmpfs",
        "networks",
        "configs",
    }
)
IGNORED_KEYS = frozenset(
    {
        "annotations",
        "attach",
        "blkio_config",
        "build",
        "cap_add",
        "cap_drop",
        "cgroup",
        "cgroup_parent",
        "cpu_count",
        "cpu_percent",
        "cpu_period",
        "cpu_quota",
        "cpu_rt_period",
        "cpu_rt_runtime",
        "cpu_shares",
        "cpus",
        "cpuset",
        "credential_spec",
        "deploy",
        "develop",
        "device_cgroup_rules",
        "dns",
        "dns_opt",
        "dns_search",
        "domainname",
        "driver_opts",
        "expose",
        "extends",
        "external_links",
        "extra_hosts",
        "gpus",
        "group_add",
        "init",
        "ipc",
        "isolation",
        "labels",
        "label_file",
        "links",
        "logging",
        "mac_address",
        "mem_limit",
        "mem_reservation",
        "mem_swappiness",
        "memswap_limit",
        "network_mode",
        "oom_kill_disable",
        "oom_score_adj",
        "pid",
        "pids_limit",
        "platform",
        "post_start",
        "pre_stop",
        "privileged",
        "profiles",
        "provider",
        "pull_policy",
        "read_only",
        "runtime",
        "scale",
        "secrets",
        "security_opt",
        "stdin_open",
        "stop_grace_period",
        "stop_signal",
        "storage_opt",
        "sysctls",
        "tty",
        "ulimits",
        "use_api_socket",
        "userns_mode",
        "uts",
        "volumes_from",
    }
)
_RESTART = ("no", "always", "on-failure", "unless-stopped")


@dataclass
class ServiceReader(ReaderBase):
    """Reads services; the shared helpers and the smaller keys live in ReaderBase."""

    # --- service --------------------------------------------------------------------------

    def service(
        self, name: str, node: Node, configs: set[str], line: int | None = None
    ) -> ComposeService:
        if not isinstance(node, MappingNode):
            raise self._error(f"service {name!r} must be a mapping", node)
        ignored: list[tuple[str, int]] = []
        for key, _value in mapping_items(node, f"service {name}", source=self.source):
            if key in HANDLED_KEYS or key.startswith("x-"):
                continue
            at = key_line(node, key) or line_of(node)
            if key in IGNORED_KEYS:
                ignored.append((key, at))
                continue
            raise YamlError(
                f"service {name!r}: unknown key {key!r}",
                line=at,
                source=self.source,
                hint="check the spelling; see the compose "
                "specification for the keys a service can have",
            )

        def get(key: str) -> Node | None:
            return mapping_get(node, key)

        image = self._text(get("image"), "image")
        if not image:
            hint = (
                "mikrodock cannot build images: build and push it, then give image:"
                if get("build") is not None
                else "add image: NAME[:TAG]"
            )
            raise YamlError(
                f"service {name!r} has no image",
                line=line or line_of(node),
                source=self.source,
                hint=hint,
            )
        self._parse(parse_reference, cast(Node, get("image")), "image")
        restart = self._text(get("restart"), "restart") or "no"
        policy, _, count = restart.partition(":")
        if policy not in _RESTART or (count and not re.fullmatch(r"[0-9]{1,9}", count)):
            raise self._error(
                f"service {name!r}: unknown restart policy {restart!r}",
                get("restart"),
                "use no, always, on-failure[:N] or unless-stopped",
            )
        shm = get("shm_size")
        return ComposeService(
            name=name,
            image=image,
            line=line or line_of(node),
            ports=self._ports(get("ports")),
            environment=self._environment(get("env_file"), get("environment")),
            volumes=self._volumes(get("volumes"), get("tmpfs")),
            command=self._string_or_list(get("command"), "command"),
            entrypoint=self._string_or_list(get("entrypoint"), "entrypoint"),
            restart=restart,
            depends_on=self._depends_on(get("depends_on")),
            healthcheck=self._healthcheck(get("healthcheck")),
            hostname=self._checked(get("hostname"), "hostname", parse_hostname),
            container_name=self._checked(get("container_name"), "container_name", check_name),
            user=self._text(get("user"), "user"),
            working_dir=self._checked(get("working_dir"), "working_dir", parse_workdir),
            devices=self._texts(get("devices"), "devices"),
            shm_size=None
            if shm is None or is_null(shm)
            else self._parse(parse_size, shm, "shm_size"),
            tmpfs=self._texts(get("tmpfs"), "tmpfs", split=True),
            networks=self._networks(get("networks")),
            configs=self._config_mounts(get("configs"), configs),
            ignored=tuple(ignored),
        )

    def _ports(self, node: Node | None) -> tuple[ComposePort, ...]:
        ports: list[ComposePort] = []
        for item in sequence_items(node, "ports", source=self.source) if node else []:
            if isinstance(item, MappingNode):
                ports.append(self._long_port(item))
            else:
                ports.append(self._parse(partial(parse_port, line=line_of(item)), item, "a port"))
        return tuple(ports)

    def _long_port(self, node: MappingNode) -> ComposePort:
        fields = dict(mapping_items(node, "a port", source=self.source))
        unknown = set(fields) - {
            "target",
            "published",
            "host_ip",
            "protocol",
            "mode",
            "name",
            "app_protocol",
        }
        if unknown:
            raise self._error(
                f"unknown key {sorted(unknown)[0]!r} in a port",
                node,
                "use target, published, host_ip, protocol, name",
            )
        target = self._text(fields.get("target"), "target")
        if not target:
            raise self._error("a long-syntax port needs target:", node)
        published = self._text(fields.get("published"), "published")
        protocol = self._text(fields.get("protocol"), "protocol") or "tcp"
        text = f"{published}:{target}/{protocol}" if published else f"{target}/{protocol}"
        try:
            port = parse_port(text, line=line_of(node))
        except SpecError as exc:
            raise self._error(str(exc), node, exc.hint) from None
        host_ip = self._text(fields.get("host_ip"), "host_ip")
        name = self._text(fields.get("name"), "name")
        return ComposePort(
            target=port.target,
            published=port.published,
            protocol=port.protocol,
            host_ip=host_ip,
            count=port.count,
            name=name,
            line=line_of(node),
        )

    def _environment(self, env_file: Node | None, node: Node | None) -> tuple[tuple[str, str], ...]:
        values: dict[str, str] = {}
        for item in self._env_files(env_file):
            values.update(item)
        if node is None or is_null(node):
            return tuple(values.items())
        if isinstance(node, MappingNode):
            pairs = [
                (key, None if is_null(value) else self._env_value(value))
                for key, value in mapping_items(node, "environment", source=self.source)
            ]
        else:
            pairs = []
            for text in self._texts(node, "environment"):
                key, sep, value = text.partition("=")
                pairs.append((key, value if sep else None))
        for key, maybe in pairs:
            if maybe is None:  # a bare KEY takes its value from the environment, if set there
                if key in self.env:
                    values[key] = self.env[key]
                continue
            values[key] = maybe
        return tuple(values.items())

    def _env_value(self, node: Node) -> str:
        if isinstance(node, ScalarNode):
            return str(node.value)
        raise self._error("an environment value must be a single value", node)

    def _env_files(self, node: Node | None) -> list[dict[str, str]]:
        if node is None or is_null(node):
            return []
        items = (
            [node]
            if isinstance(node, ScalarNode)
            else sequence_items(node, "env_file", source=self.source)
        )
        result = []
        for item in items:
            required = True
            if isinstance(item, MappingNode):
                path_text = self._text(mapping_get(item, "path"), "path") or ""
                required = self._text(mapping_get(item, "required"), "required") != "false"
            else:
                path_text = scalar_text(item, "env_file", source=self.source)
            path = self.base_dir / path_text
            if not path.is_file():
                if required:
                    raise self._error(
                        f"env_file {path_text!r} not found",
                        item,
                        f"create it in {self.base_dir} or fix the path",
                    )
                continue
            try:
                result.append(parse_dotenv(path.read_text(encoding="utf-8"), self.env))
            except InterpolationError as exc:
                raise self._error(f"env_file {path_text}: {exc}", item, exc.hint) from None
        return result

    def _volumes(self, node: Node | None, tmpfs: Node | None) -> tuple[ComposeVolume, ...]:
        volumes: list[ComposeVolume] = []
        for item in sequence_items(node, "volumes", source=self.source) if node else []:
            if isinstance(item, MappingNode):
                volume = self._long_volume(item)
            else:
                volume = self._parse(partial(parse_volume, line=line_of(item)), item, "a volume")
            if volume.type == "volume" and volume.source and volume.source not in self.volumes:
                raise self._error(
                    f"volume {volume.source!r} is not declared",
                    item,
                    f"add it under the top-level volumes: ({volume.source}: {{}})"
                    " or use ./path for a folder",
                )
            volumes.append(volume)
        return tuple(volumes)

    def _long_volume(self, node: MappingNode) -> ComposeVolume:
        kind = self._text(mapping_get(node, "type"), "type") or "volume"
        if kind not in ("volume", "bind", "tmpfs"):
            raise self._error(
                f"volume type {kind!r} is not supported", node, "use volume, bind or tmpfs"
            )
        target = self._text(mapping_get(node, "target"), "target")
        if not target or not target.startswith("/"):
            raise self._error("a long-syntax volume needs an absolute target:", node)
        read_only = self._text(mapping_get(node, "read_only"), "read_only") == "true"
        return ComposeVolume(
            type=cast(Literal["volume", "bind", "tmpfs"], kind),
            target=target,
            source=self._text(mapping_get(node, "source"), "source"),
            read_only=read_only,
            line=line_of(node),
        )

    def _depends_on(self, node: Node | None) -> tuple[str, ...]:
        if node is None or is_null(node):
            return ()
        if isinstance(node, MappingNode):
            return tuple(name for name, _v in mapping_items(node, "depends_on", source=self.source))
        return self._texts(node, "depends_on")
