"""Deploy a compose project as plain containers (RouterOS before 7.22, or ``--mode containers``).

One network per project (``PROJECT_default``); one container per service, started in
``depends_on`` order, each planned and applied by the ``run`` planner (so a failed service leaves
nothing behind). The project's containers are the mikrodock-tagged containers on its network:
``down`` removes exactly those and the network.

``up`` is idempotent: for a container that exists, the planner's steps are compared with what
is on the router (container fields, env and mount lists, port redirects); only a service whose
steps differ is recreated, and a service no longer in the file is removed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from mikrodock.compose.model import ComposeProject
from mikrodock.compose.to_specs import container_name, line_error, network_name, service_spec
from mikrodock.containers.network import find_network, network_tag
from mikrodock.containers.plan import plan_run, storage_disk
from mikrodock.containers.query import container_state
from mikrodock.containers.router import AsyncRouter
from mikrodock.containers.spec import DEFAULT_NETWORK, TAG_PREFIX, ContainerSpec, tag_for
from mikrodock.containers.state import MENUS, Record, RouterState
from mikrodock.containers.steps import Plan, Step
from mikrodock.errors import UsageError
from mikrodock.routeros.client import AsyncRouterClient

__all__ = ["Change", "down_containers", "project_containers", "up_containers"]

_MENU_FIELDS = {menu: field for field, menu in MENUS.items()}
_SKIP_MENUS = {
    "interface/veth",
    "interface/bridge/port",
    "ip/address",
    "system/logging",
    "interface/bridge",
}
_SKIP_KEYS = {"interface", "root-dir", "to-addresses", "comment", "name"}
_BOOLEANS = {"yes": "true", "no": "false"}


@dataclass(frozen=True)
class Change:
    """One thing ``up`` or ``down`` did (or found already right)."""

    action: str
    """created, recreated, unchanged, started, removed"""
    kind: str
    """container, network, app"""
    name: str
    service: str | None = None

    def __str__(self) -> str:
        return f"{self.kind} {self.name}: {self.action}"

    def as_dict(self) -> dict[str, str | None]:
        return {
            "action": self.action,
            "kind": self.kind,
            "name": self.name,
            "service": self.service,
        }


def project_containers(state: RouterState, project: str) -> list[Record]:
    """The mikrodock containers on ``project``'s network."""
    bridge = next(
        (b for b in state.bridges if b.get("comment") == network_tag(network_name(project))), None
    )
    if bridge is None:
        return []
    ports = {p.get("interface") for p in state.bridge_ports if p.get("bridge") == bridge["name"]}
    return [
        c
        for c in state.containers
        if c.get("interface") in ports and c.get("comment", "").startswith(TAG_PREFIX)
    ]


def _normal_image(text: str) -> str:
    for prefix in ("registry-1.docker.io/", "docker.io/", "index.docker.io/"):
        text = text.removeprefix(prefix)
    text = text.removeprefix("library/")
    return text if ":" in text.rsplit("/", 1)[-1] or "@" in text else f"{text}:latest"


def _field_matches(key: str, want: str, record: Record) -> bool:
    if key == "remote-image":
        have = record.get("tag") or record.get("repo") or record.get("remote-image") or ""
        return _normal_image(have) == _normal_image(want)
    if key not in record:
        return True  # a field the router does not echo cannot be compared
    have = record[key]
    return _BOOLEANS.get(have, have) == _BOOLEANS.get(want, want)


def _body_matches(body: Mapping[str, object], record: Record) -> bool:
    return all(
        _field_matches(key, value, record)
        for key, value in body.items()
        if isinstance(value, str) and key not in _SKIP_KEYS
    )


def plan_matches(plan: Plan, state: RouterState, tag: str) -> bool:
    """Whether the objects tagged ``tag`` on the router are what ``plan`` would create."""
    wanted: dict[str, list[Mapping[str, object]]] = {}
    for step in plan.steps:
        if step.action == "add" and step.menu not in _SKIP_MENUS:
            wanted.setdefault(step.menu, []).append(step.body)
    for menu, field in _MENU_FIELDS.items():
        if menu in _SKIP_MENUS:
            continue
        records = [r for r in getattr(state, field) if r.get("comment") == tag]
        if menu == "ip/firewall/nat":
            records = [r for r in records if r.get("chain") == "dstnat"]
        bodies = wanted.get(menu, [])
        if len(records) != len(bodies):
            return False
        free = list(records)
        for body in bodies:
            match = next((r for r in free if _body_matches(body, r)), None)
            if match is None:
                return False
            free.remove(match)
    return True


def _without(state: RouterState, tag: str) -> RouterState:
    """``state`` as if the objects tagged ``tag`` were gone (to plan their replacement)."""
    return state.with_objects(
        **{field: [r for r in getattr(state, field) if r.get("comment") != tag] for field in MENUS}
    )


async def _ensure_network(router: AsyncRouter, state: RouterState, project: str) -> Change:
    name = network_name(project)
    if find_network(state, name) is not None:
        return Change("unchanged", "network", name)
    if any(b.get("name") == name for b in state.bridges):
        raise UsageError(
            f"a bridge named {name} exists and is not mikrodock's",
            hint="rename that bridge, or give the project another name with -p",
        )
    await router.network_create(name)
    return Change("created", "network", name)


async def up_containers(
    ros: AsyncRouterClient,
    project: ComposeProject,
    *,
    timeout: float = 600.0,
    poll: float = 1.0,
    force_service_port: bool = False,
    report: Callable[[str], None] = lambda _text: None,
) -> list[Change]:
    """Deploy each service in start order; ``report`` hears ``SERVICE: what it does now``."""
    router = AsyncRouter(ros)
    state = await router.state()
    disk = storage_disk(state)
    specs: list[tuple[str, ContainerSpec]] = []
    for service in project.start_order():
        try:
            spec = replace(
                service_spec(project, service, disk), force_service_port=force_service_port
            )
            # refuse bad specs before any change (the project network may not exist yet)
            plan_run(replace(spec, network=DEFAULT_NETWORK), _without(state, tag_for(spec.name)))
        except UsageError as error:
            raise line_error(error, service, project.source) from None
        specs.append((service.name, spec))
    changes = [await _ensure_network(router, state, project.name)]
    state = await router.state()
    wanted = {spec.name for _service, spec in specs}
    for record in reversed(project_containers(state, project.name)):
        name = record.get("name") or record.get("comment", "").removeprefix(TAG_PREFIX)
        if name not in wanted:
            await router.rm(name, force=True)
            changes.append(Change("removed", "container", name))
    for service_name, spec in specs:
        report(f"{service_name}: comparing with the router")
        state = await router.state()
        tag = tag_for(spec.name)
        existing = next((c for c in state.containers if c.get("comment") == tag), None)
        if existing is not None:
            if plan_matches(plan_run(spec, _without(state, tag)), state, tag):
                if container_state(existing) in ("stopped", "error"):
                    await router.start(spec.name)
                    changes.append(Change("started", "container", spec.name, service_name))
                else:
                    changes.append(Change("unchanged", "container", spec.name, service_name))
                continue
            await router.rm(spec.name, force=True)
        elif any(c.get("name") == spec.name for c in state.containers):
            raise UsageError(
                f"a container named {spec.name} exists and is not mikrodock's",
                hint="remove or rename it, or give the project another name (-p)",
            )
        await router.run(spec, timeout=timeout, poll=poll, progress=_prefixed(report, service_name))
        action = "recreated" if existing is not None else "created"
        changes.append(Change(action, "container", spec.name, service_name))
    return changes


def _prefixed(report: Callable[[str], None], service: str) -> Callable[[Step], None]:
    def on_step(step: Step) -> None:
        report(f"{service}: {step.why}")

    return on_step


async def down_containers(
    ros: AsyncRouterClient, project: str, order: Sequence[str] = ()
) -> list[Change]:
    """Remove the project's containers (reverse start order, then the rest) and its network."""
    router = AsyncRouter(ros)
    state = await router.state()
    names = [
        r.get("name") or r.get("comment", "").removeprefix(TAG_PREFIX)
        for r in project_containers(state, project)
    ]
    ranked = {name: index for index, name in enumerate(order)}
    names.sort(key=lambda name: -ranked.get(name, len(ranked)))
    changes = []
    for name in names:
        await router.rm(name, force=True)
        changes.append(Change("removed", "container", name))
    if find_network(await router.state(), network_name(project)) is not None:
        await router.network_rm(network_name(project))
        changes.append(Change("removed", "network", network_name(project)))
    return changes


__all__ += ["container_name", "plan_matches"]
