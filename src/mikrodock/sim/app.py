"""``/app`` (7.21+): the app catalogue, and ``/app/add yaml=`` (7.22+).

A fresh router lists a few built-in apps (made up for the simulator, shaped like RouterOS's:
``name``, ``category``, ``containers``, ``environment``, ``firewall-redirects``, ...; all
disabled). ``/app/add yaml=...`` stores the YAML and its ``name``; the fields RouterOS
computes from the YAML (``containers``, ``environment``, ``firewall-redirects``,
``required-mounts``) come from :mod:`mikrodock.routeros.app_fields`, RouterOS knowledge checked
against what real routers computed for their built-in apps. Enabling an app runs its containers
(:mod:`mikrodock.sim.app_containers`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mikrodock.sim import app_containers
from mikrodock.sim.base import CommandHandler, MenuSpec, bad_request
from mikrodock.sim.state import Item

if TYPE_CHECKING:
    from mikrodock.sim.router import SimRouter

__all__ = ["interpret_app_yaml", "specs"]

_FIELDS = (
    "category",
    "cmds",
    "containers",
    "default-credentials",
    "default-network",
    "description",
    "environment",
    "extra-mounts",
    "firewall-redirects",
    "hw-device-access",
    "interface",
    "network",
    "project-page",
    "required-mounts",
    "running",
    "status",
    "ui-url",
)

_BUILTIN = (
    (
        "hello-web",
        "networking",
        "web:none:docker.io/library/nginx:alpine",
        "8080:80:tcp:web",
        "A small static web server",
    ),
    (
        "sample-db",
        "database",
        "db:none:docker.io/library/postgres:16",
        "5432:5432:tcp:postgres",
        "A PostgreSQL database",
    ),
    ("sample-dns", "networking", "dns:none:docker.io/library/alpine:3", "", "A DNS resolver"),
)


def _yaml_name(yaml_text: str) -> str:
    from ruamel.yaml import YAML  # only /app/add needs it
    from ruamel.yaml.error import YAMLError

    from mikrodock.routeros.yaml_limits import check_yaml

    limit = check_yaml(yaml_text)
    if limit is not None:
        raise bad_request(f"failure: invalid yaml: {limit.message}")
    try:
        data = YAML(typ="safe").load(yaml_text)
    except YAMLError as error:
        raise bad_request(f"failure: invalid yaml: {str(error).splitlines()[0]}") from error
    if not isinstance(data, dict) or not data.get("name"):
        raise bad_request("failure: yaml has no name")
    return str(data["name"])


def interpret_app_yaml(yaml_text: str) -> dict[str, str]:
    """The fields RouterOS computes from an app YAML (``name`` at least)."""
    from mikrodock.routeros.app_fields import interpret_app_yaml as interpret  # only /app/add

    name = _yaml_name(yaml_text)
    try:
        fields = dict(interpret(yaml_text))
    except Exception as error:  # the interpreter's own errors become a RouterOS failure
        raise bad_request(f"failure: {error}") from error
    fields.setdefault("name", name)
    return {key: str(value) for key, value in fields.items()}


def _blank() -> Item:
    item: Item = dict.fromkeys(_FIELDS, "")
    item.update(
        {
            "disabled": "true",
            "running": "false",
            "interface": "none",
            "network": "default",
            "default-network": "internal",
        }
    )
    return item


def _seed(router: SimRouter) -> list[Item]:
    out = []
    for name, category, containers, redirects, description in _BUILTIN:
        item = _blank()
        item.update(
            name=name,
            category=category,
            containers=containers,
            description=description,
            **{"firewall-redirects": redirects},
        )
        out.append(item)
    return out


def _on_add(router: SimRouter, item: Item) -> None:
    yaml_text = item.get("yaml", "")
    if not yaml_text:
        raise bad_request("missing =yaml=")
    fields = interpret_app_yaml(yaml_text)
    if any(a.get("name") == fields["name"] for a in router.state.menu("app").items):
        raise bad_request(f"failure: app {fields['name']} already exists")
    for key, value in fields.items():
        if key == "name" or not item.get(key):
            item[key] = value


def _on_set(router: SimRouter, item: Item, props: dict[str, str]) -> None:
    if "yaml" in props:
        props.update({k: v for k, v in interpret_app_yaml(props["yaml"]).items() if k not in props})
        if item.get("disabled") == "false" and props["yaml"] != item.get("yaml"):
            app_containers.sync(router, item.get("name", ""), props.get("containers", ""), True)


def _protect_builtin(router: SimRouter, item: Item) -> None:
    if not item.get("yaml"):
        raise bad_request("failure: built-in app can not be removed")
    app_containers.sync(router, item.get("name", ""), "", False)


def _enable(state: str) -> CommandHandler:
    def command(router: SimRouter, args: dict[str, str]) -> list[Any]:
        for word in args.get("numbers", "").split(","):
            item = next(
                (
                    a
                    for a in router.state.menu("app").items
                    if word.strip() in (a[".id"], a.get("name"))
                ),
                None,
            )
            if item is None:
                raise bad_request("no such item")
            disabled = "false" if state == "enable" else "true"
            if item["disabled"] != disabled:
                item["disabled"] = disabled
                app_containers.sync(
                    router, item.get("name", ""), item.get("containers", ""), state == "enable"
                )
        return []

    return command


def specs() -> list[MenuSpec]:
    return [
        MenuSpec(
            "app",
            package="container",
            gated=True,
            defaults=lambda router: _blank(),
            seed=_seed,
            on_add=_on_add,
            on_set=_on_set,
            on_remove=_protect_builtin,
            commands={"enable": _enable("enable"), "disable": _enable("disable")},
        ),
    ]
