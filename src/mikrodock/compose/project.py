"""``compose up | down | ps | logs``: a compose project on one router, as an /app or containers.

Mode ``auto`` deploys as an ``/app`` where the router has ``/app/add`` (RouterOS 7.22+) and as
containers before; ``app`` and ``containers`` force one (``app`` on an older router is an error).
Switching modes moves the project: ``up`` removes what the other mode left of it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from mikrodock.compose.deploy_app import app_record, app_yaml, down_app, is_ours, ps_app, up_app
from mikrodock.compose.deploy_containers import (
    Change,
    down_containers,
    project_containers,
    up_containers,
)
from mikrodock.compose.model import ComposeProject
from mikrodock.compose.to_specs import (
    container_name,
    line_error,
    service_spec,
    unsupported_in_containers,
)
from mikrodock.containers.output import LogLine, log_lines, log_name, read_logs
from mikrodock.containers.query import describe
from mikrodock.containers.services import FORCE_FLAG, check_service_ports, router_services
from mikrodock.containers.spec import TAG_PREFIX
from mikrodock.containers.state import read_state
from mikrodock.errors import NotFoundError, UnsupportedError, UsageError
from mikrodock.routeros.client import AsyncRouterClient
from mikrodock.routeros.dialect import Dialect
from mikrodock.routeros.version import RouterOSVersion, parse_version

__all__ = [
    "Mode",
    "UpResult",
    "compose_down",
    "compose_logs",
    "compose_ps",
    "compose_up",
    "follow_project_logs",
    "resolve_mode",
]

Mode = Literal["auto", "app", "containers"]


@dataclass(frozen=True)
class UpResult:
    mode: str
    changes: tuple[Change, ...]
    notes: tuple[str, ...] = field(default=())
    """What the deploy could not carry over from the file."""

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "changes": [c.as_dict() for c in self.changes],
            "notes": list(self.notes),
        }


async def _version(ros: AsyncRouterClient) -> RouterOSVersion:
    resource = await ros.get("system/resource")
    return parse_version(resource.get("version", "").split(" ")[0])


def resolve_mode(mode: str, version: RouterOSVersion) -> Literal["app", "containers"]:
    if mode not in ("auto", "app", "containers"):
        raise UsageError(f"unknown mode {mode!r}", hint="use --mode app or --mode containers")
    has_app = Dialect.for_version(version).has_app_add
    if mode == "app" and not has_app:
        raise UnsupportedError(
            f"RouterOS {version} has no /app/add (it arrives in 7.22)",
            hint="use --mode containers, or upgrade the router",
        )
    if mode == "auto":
        return "app" if has_app else "containers"
    return mode  # type: ignore[return-value]


async def compose_up(
    ros: AsyncRouterClient,
    project: ComposeProject,
    *,
    mode: str = "auto",
    timeout: float = 600.0,
    poll: float = 1.0,
    force_service_port: bool = False,
    report: Callable[[str], None] = lambda _text: None,
) -> UpResult:
    """Make the router run ``project``; change only what differs from what is there.

    A published port the router serves itself (WebFig, SSH, ...) is refused before anything
    changes, in both modes, unless ``force_service_port``. ``report`` hears what is under way
    (``SERVICE: step`` in containers mode)."""
    version = await _version(ros)
    chosen = resolve_mode(mode, version)
    if not force_service_port:
        await _check_service_ports(ros, project)
    if chosen == "app":
        _text, dropped = app_yaml(project)
        report(f"/app {project.name}: deploying {len(project.services)} service(s)")
        changes = await up_app(ros, project, version)
        changes += await down_containers(ros, project.name)
        return UpResult("app", tuple(changes), tuple(str(d) for d in dropped))
    changes = await up_containers(
        ros, project, timeout=timeout, poll=poll, force_service_port=force_service_port,
        report=report,
    )  # fmt: skip
    if Dialect.for_version(version).has_app_add:
        changes += await down_app(ros, project.name)
    return UpResult("containers", tuple(changes), tuple(unsupported_in_containers(project)))


async def _check_service_ports(ros: AsyncRouterClient, project: ComposeProject) -> None:
    try:
        services = router_services(await ros.print("ip/service"))
    except NotFoundError:
        return
    for service in project.start_order():
        try:
            check_service_ports(service_spec(project, service, None).ports, services)
        except UsageError as error:
            error.hint = (error.hint or "").replace(FORCE_FLAG, f"`compose up {FORCE_FLAG}`")
            raise line_error(error, service, project.source) from None


async def compose_down(ros: AsyncRouterClient, project: ComposeProject) -> list[Change]:
    """Remove everything of the project (its /app, its containers, its network) and no more."""
    changes: list[Change] = []
    if Dialect.for_version(await _version(ros)).has_app:
        changes += await down_app(ros, project.name)
    order = [container_name(project.name, s) for s in project.start_order()]
    changes += await down_containers(ros, project.name, order)
    return changes


async def compose_ps(ros: AsyncRouterClient, project: ComposeProject) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    if Dialect.for_version(await _version(ros)).has_app:
        rows += await ps_app(ros, project)
    state = await read_state(ros)
    services = {container_name(project.name, s): s.name for s in project.services}
    for record in project_containers(state, project.name):
        info = describe(record, state.nat, state.veths).to_json()
        info["service"] = services.get(str(info.get("name")), "")
        info["mode"] = "containers"
        rows.append(info)
    return rows


async def _log_targets(ros: AsyncRouterClient, project: ComposeProject) -> list[tuple[str, str]]:
    """(service, container name) of the project's containers on the router."""
    state = await read_state(ros)
    services = {container_name(project.name, s): s.name for s in project.services}
    targets = []
    for record in project_containers(state, project.name):
        name = record.get("name") or record.get("comment", "").removeprefix(TAG_PREFIX)
        targets.append((services.get(name, name), name))
    app = await app_record(ros, project.name) if not targets else None
    if app is not None and is_ours(app, project.name):
        # an /app's containers: ordinary /container entries named after the app and the
        # service (the name is inferred, see docs/APP-YAML.md)
        for item in state.containers:
            name = item.get("name", "")
            for service in project.services:
                if name in (f"{project.name}-{service.name}", f"{project.name}_{service.name}"):
                    targets.append((service.name, name))
    return targets


async def compose_logs(
    ros: AsyncRouterClient,
    project: ComposeProject,
    *,
    tail: int | None = None,
    since: str | None = None,
) -> list[tuple[str, LogLine]]:
    """(service, line) of every container of the project, in either mode, oldest first;
    ``tail`` and ``since`` apply to each container, as ``docker compose logs`` does."""
    lines: list[tuple[str, LogLine]] = []
    for service, name in await _log_targets(ros, project):
        found = await read_logs(ros, name, tail=tail, since=since)
        lines += [(service, line) for line in found]
    lines.sort(key=lambda pair: (pair[1].time, pair[1].id))
    return lines


def _line_number(line: LogLine) -> int:
    try:
        return int(line.id.lstrip("*"), 16)
    except ValueError:
        return -1


async def follow_project_logs(
    ros: AsyncRouterClient,
    project: ComposeProject,
    *,
    tail: int | None = None,
    since: str | None = None,
    poll: float = 1.0,
) -> AsyncIterator[tuple[str, LogLine]]:
    """Every container's lines, then new ones as they come: the router's ``/log`` streamed by
    the client (RouterOS's own stream over the API protocol, looks every ``poll`` s over REST)."""
    targets = await _log_targets(ros, project)
    if not targets:
        return
    seen = -1
    for service, line in await compose_logs(ros, project, tail=tail, since=since):
        seen = max(seen, _line_number(line))
        yield service, line
    names = [(service, await log_name(ros, name)) for service, name in targets]
    async with contextlib.aclosing(ros.follow("log", poll=poll)) as changes:
        async for record in changes:
            for service, name in names:
                for line in log_lines([record], name, seen):
                    seen = max(seen, _line_number(line))
                    yield service, line
