"""A compose service as a :class:`~mikrodock.containers.spec.ContainerSpec` for the ``run``
planner (RouterOS before 7.22, or ``--mode containers``).

Volumes become folders of the router's disk: ``DISK/mikrodock/PROJECT/NAME`` for a named volume
and for a relative folder (``./site`` -> ``.../site``); an absolute path is taken as a router path
(``/disk1/media`` -> ``disk1/media``). Every container of a project joins the project's network.
"""

from __future__ import annotations

import re
import shlex

from mikrodock.compose.model import ComposeProject, ComposeService
from mikrodock.containers.spec import (
    ContainerSpec,
    EnvVar,
    HealthCheck,
    Mount,
    PortMapping,
    RestartPolicy,
)
from mikrodock.errors import UsageError
from mikrodock.routeros.yaml_nodes import YamlError

__all__ = ["container_name", "network_name", "service_spec", "unsupported_in_containers"]


def network_name(project: str) -> str:
    """The network (bridge) every container of ``project`` joins."""
    return f"{project}_default"


def container_name(project: str, service: ComposeService) -> str:
    return service.container_name or f"{project}-{service.name}"


def _argv(
    value: str | tuple[str, ...] | None, what: str, service: ComposeService, source: str
) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, tuple):
        return value
    try:
        return tuple(shlex.split(value))
    except ValueError as exc:
        raise YamlError(
            f"service {service.name!r}: {what} {value!r}: {exc}",
            line=service.line,
            source=source,
            hint="close the quotes, or give the command as a list",
        ) from None


def _volume_root(project: str, disk: str | None) -> str:
    return f"{disk}/mikrodock/{project}" if disk else f"mikrodock/{project}"


def _mounts(
    project: ComposeProject,
    service: ComposeService,
    disk: str | None,
) -> tuple[tuple[Mount, ...], tuple[str, ...]]:
    root = _volume_root(project.name, disk)
    mounts: list[Mount] = []
    tmpfs = list(service.tmpfs)
    for index, volume in enumerate(service.volumes, start=1):
        if volume.type == "tmpfs":
            tmpfs.append(volume.target)
            continue
        source = volume.source
        if source is None:
            src = f"{root}/{service.name}-{index}"
        elif volume.type == "volume":
            src = f"{root}/{source}"
        elif source.startswith("~"):
            raise YamlError(
                f"service {service.name!r}: volume {source!r} is in a home folder",
                line=volume.line,
                source=project.source,
                hint="a router has no home folder: use ./dir or /disk/dir",
            )
        elif source.startswith("/"):
            src = source.strip("/")
        else:
            src = f"{root}/{source.removeprefix('./').strip('/')}"
        if ".." in src.split("/") or not src:
            raise YamlError(
                f"service {service.name!r}: volume {source!r} leaves its folder"
                if src
                else f"service {service.name!r}: volume {source!r} is the router's whole disk",
                line=volume.line,
                source=project.source,
                hint="name a folder inside the project (./data) or on a disk (/disk1/data)",
            )
        mounts.append(Mount(src=src, dst=volume.target, read_only=volume.read_only))
    return tuple(mounts), tuple(tmpfs)


def _health(service: ComposeService) -> HealthCheck:
    check = service.healthcheck
    if check is None or check.disable:
        return HealthCheck()
    cmd: tuple[str, ...] = ()
    if check.test and check.test[0] == "CMD":
        cmd = check.test[1:]
    elif check.test and check.test[0] == "CMD-SHELL":
        cmd = ("sh", "-c", *check.test[1:])
    return HealthCheck(
        cmd=cmd,
        interval=check.interval,
        timeout=check.timeout,
        retries=check.retries,
        start_period=check.start_period,
    )


def _restart(text: str) -> RestartPolicy:
    name, _sep, count = text.partition(":")
    retries = int(count) if re.fullmatch(r"[0-9]{1,9}", count) else None
    return RestartPolicy(name=name, max_retries=retries)  # type: ignore[arg-type]


def service_spec(
    project: ComposeProject, service: ComposeService, disk: str | None
) -> ContainerSpec:
    """The container spec of ``service``; ``disk`` is the router disk for volumes (or None)."""
    mounts, tmpfs = _mounts(project, service, disk)
    ports = tuple(
        PortMapping(
            host_port=port.published or port.target,
            container_port=port.target,
            protocol=port.protocol,
            host_ip=port.host_ip,
            count=port.count,
        )
        for port in service.ports
    )
    return ContainerSpec(
        name=container_name(project.name, service),
        image=service.image,
        entrypoint=_argv(service.entrypoint, "entrypoint", service, project.source),
        cmd=_argv(service.command, "command", service, project.source),
        env=tuple(EnvVar(key, value) for key, value in service.environment),
        mounts=mounts,
        ports=ports,
        workdir=service.working_dir,
        user=service.user,
        hostname=service.hostname or service.name,
        restart=_restart(service.restart),
        health=_health(service),
        shm_size=service.shm_size,
        tmpfs=tmpfs,
        devices=service.devices,
        network=network_name(project.name),
    )


def unsupported_in_containers(project: ComposeProject) -> list[str]:
    """What containers mode leaves out, one line each (the caller prints them)."""
    notes = []
    for service in project.services:
        for key, line in service.ignored:
            notes.append(f"line {line}: service {service.name}: {key} is not carried over")
        if service.configs:
            notes.append(
                f"line {service.line}: service {service.name}: configs are not "
                "carried over in containers mode (use --mode app on 7.22+)"
            )
        extra = [n for n in service.networks if n != "default"]
        if extra:
            notes.append(
                f"line {service.line}: service {service.name}: networks "
                f"{', '.join(extra)} merged into the project network"
            )
    for key, line in project.ignored:
        notes.append(f"line {line}: {key} is not carried over")
    return notes


def line_error(error: UsageError, service: ComposeService, source: str) -> YamlError:
    """A planner error about ``service``, pointing at the service in the compose file."""
    return YamlError(
        f"service {service.name!r}: {error}", line=service.line, source=source, hint=error.hint
    )


__all__ += ["line_error"]
