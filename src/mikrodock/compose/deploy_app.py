"""Deploy a compose project as a RouterOS ``/app`` (7.22+): ``/app/add yaml=``, then enable.

The /app YAML is made by :mod:`mikrodock.compose.convert` and checked against the router
version's /app schema before anything changes. ``/app`` records take no comment, so the YAML
itself carries the ownership tag: its first line is ``# mikrodock:PROJECT`` (RouterOS keeps the
YAML text as given). mikrodock never changes or removes an /app without that line.

RouterOS runs the app's services as ordinary containers whose output goes to ``/log`` under
topic ``container``, kept only where a ``/system/logging`` rule names that topic: ``up`` adds
the same tagged rule ``run`` adds when no rule keeps it (``system prune`` removes it later).
"""

from __future__ import annotations

from typing import Any

from mikrodock.compose.convert import Dropped, compose_to_app
from mikrodock.compose.deploy_containers import Change
from mikrodock.compose.model import ComposeProject
from mikrodock.compose.validate import validate_app_yaml
from mikrodock.containers.plan import LOGGING_PREFIX, LOGGING_TAG
from mikrodock.containers.spec import app_marker
from mikrodock.errors import PlanError, UsageError
from mikrodock.routeros.client import AsyncRouterClient
from mikrodock.routeros.dialect import Dialect
from mikrodock.routeros.version import RouterOSVersion

__all__ = [
    "app_record",
    "app_yaml",
    "down_app",
    "is_ours",
    "keep_container_logs",
    "ps_app",
    "up_app",
]


def app_yaml(project: ComposeProject) -> tuple[str, tuple[Dropped, ...]]:
    """The /app YAML mikrodock sends for ``project`` (with its ownership line)."""
    result = compose_to_app(project)
    return app_marker(project.name) + result.yaml_text, result.dropped


def is_ours(record: dict[str, str], project: str) -> bool:
    return record.get("yaml", "").startswith(app_marker(project))


async def app_record(ros: AsyncRouterClient, name: str) -> dict[str, str] | None:
    for record in await ros.print("app"):
        if record.get("name") == name:
            return record
    return None


async def _enable(ros: AsyncRouterClient, record: dict[str, str]) -> bool:
    if record.get("disabled", "true") in ("true", "yes"):
        await ros.command("app", "enable", {"numbers": record[".id"]})
        return True
    return False


async def up_app(
    ros: AsyncRouterClient, project: ComposeProject, version: RouterOSVersion
) -> list[Change]:
    text, _dropped = app_yaml(project)
    issues = validate_app_yaml(text, router_version=version)
    if issues:
        raise PlanError(
            f"the /app YAML made from {project.source or 'the compose file'} is not valid for "
            f"RouterOS {version}: {issues[0]}",
            hint="see `mikrodock app convert` for the YAML, or deploy with --mode containers",
        )
    record = await app_record(ros, project.name)
    if record is not None and not is_ours(record, project.name):
        raise UsageError(
            f"an /app named {project.name} exists and is not mikrodock's",
            hint="give the project another name with -p",
        )
    await keep_container_logs(ros, version)
    if record is None:
        created = await ros.add("app", {"yaml": text})
        record = await app_record(ros, project.name) or created
        await _enable(ros, record)
        return [Change("created", "app", project.name)]
    if record.get("yaml") != text:
        await ros.set("app", record[".id"], {"yaml": text})
        await _enable(ros, record)
        return [Change("updated", "app", project.name)]
    if await _enable(ros, record):
        return [Change("started", "app", project.name)]
    return [Change("unchanged", "app", project.name)]


async def keep_container_logs(ros: AsyncRouterClient, version: RouterOSVersion) -> None:
    """Add the ``/system/logging`` rule for topic ``container`` that ``run`` adds (tagged the
    same way), unless an enabled rule keeps that topic already: without one RouterOS drops the
    app's container output and ``compose logs`` has nothing to show."""
    for rule in await ros.print("system/logging"):
        if "container" in rule.get("topics", "").split(",") and rule.get("disabled") != "true":
            return
    body = {"topics": "container", "action": "memory"}
    if Dialect.for_version(version).has_arg("system/logging", "add", "comment"):
        body["comment"] = LOGGING_TAG
    else:
        body["prefix"] = LOGGING_PREFIX
    await ros.add("system/logging", body)


async def down_app(ros: AsyncRouterClient, project: str) -> list[Change]:
    record = await app_record(ros, project)
    if record is None or not is_ours(record, project):
        return []
    if record.get("disabled") not in ("true", "yes"):
        await ros.command("app", "disable", {"numbers": record[".id"]})
    await ros.remove("app", record[".id"])
    return [Change("removed", "app", project)]


async def ps_app(ros: AsyncRouterClient, project: ComposeProject) -> list[dict[str, Any]]:
    """One row per service of the project's /app (empty when it has none)."""
    record = await app_record(ros, project.name)
    if record is None or not is_ours(record, project.name):
        return []
    if record.get("running") in ("true", "yes"):
        state = "running"
    elif record.get("disabled") in ("true", "yes"):
        state = "disabled"
    else:
        state = "starting"
    return [
        {
            "name": f"{project.name}/{service.name}",
            "service": service.name,
            "image": service.image,
            "state": state,
            "mode": "app",
            "ports": [port.short() for port in service.ports],
        }
        for service in project.services
    ]
