"""A lab for other tools: a containerlab topology, or a compose file of mikrodock CHR images.

**containerlab** runs RouterOS as kind ``mikrotik_ros`` (a vrnetlab image, by default
``vrnetlab/mikrotik_routeros:<version>``). Inside such a node ``eth0`` is the management
interface (RouterOS ``ether1``) and data interface ``ethN`` is RouterOS ``ether(N+1)``, so a lab
link ``r1:ether2=r2:ether2`` becomes the endpoints ``["r1:eth1", "r2:eth1"]``. A router's
startup script becomes its ``startup-config``.

**compose** gives each router a service built from the context of ``mikrodock chr dockerfile``
(one context per RouterOS version, written beside the compose file), its own volume, its
startup script mounted, and its management ports on 127.0.0.1. Compose has no way to join two
QEMU NICs across containers, so the lab's links are listed as notes, not wired.

Both renderers are pure; a channel version is resolved to a number through the ``resolve``
callable the caller passes (the network lookup stays outside).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML

from mikrodock.chr.docker.dockerfile import (
    HOME,
    MANAGEMENT_PORTS,
    STARTUP_PATH,
    STATE_VOLUME,
    DockerImageSpec,
    write_context,
)
from mikrodock.errors import UsageError
from mikrodock.lab.labfile import Endpoint, Lab, LabRouter

__all__ = [
    "CONTAINERLAB_IMAGE",
    "Export",
    "clab_interface",
    "render_compose",
    "render_containerlab",
    "write_compose",
    "write_containerlab",
]

CONTAINERLAB_IMAGE = "vrnetlab/mikrotik_routeros"
COMPOSE_HOST_BASE = 10000
COMPOSE_ROUTER_STEP = 100
"""router i of a compose lab publishes management port P on 127.0.0.1:(10000 + 100*i + P)"""

Resolve = Callable[[str], str]


@dataclass(frozen=True)
class Export:
    text: str
    notes: tuple[str, ...] = ()


def clab_interface(end: Endpoint) -> str:
    """RouterOS ``etherN`` (N >= 2) as containerlab names it in a mikrotik_ros node."""
    return f"eth{end.index - 1}"


def _dump(document: object) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def _relative(path: Path, start: Path | None) -> str:
    """``path`` relative to ``start`` when there is one, written ./x or ../x (compose reads a
    bare ``x:`` as a named volume)."""
    if start is None:
        return str(path)
    try:
        relative = os.path.relpath(path, start)
    except ValueError:
        return str(path)
    return relative if relative.startswith(".") else f"./{relative}"


def _version(router: LabRouter, resolve: Resolve) -> str:
    return resolve(router.version)


def render_containerlab(lab: Lab, resolve: Resolve, *, out_dir: Path | None = None) -> Export:
    """The containerlab topology (``<lab>.clab.yml``) for ``lab``."""
    notes: list[str] = []
    nodes: dict[str, dict[str, object]] = {}
    for router in lab.routers:
        node: dict[str, object] = {"kind": "mikrotik_ros"}
        if router.image is not None:
            node["image"] = f"{CONTAINERLAB_IMAGE}:{router.name}"
            notes.append(
                f"{router.name}: build a vrnetlab mikrotik_routeros image from {router.image}"
                f" and tag it {CONTAINERLAB_IMAGE}:{router.name}"
            )
        else:
            node["image"] = f"{CONTAINERLAB_IMAGE}:{_version(router, resolve)}"
        if router.arch != "x86_64":
            notes.append(f"{router.name}: vrnetlab images run x86_64 CHR; arch {router.arch} kept")
        if router.startup is not None:
            node["startup-config"] = _relative(router.startup, out_dir)
        if router.memory != "256M" or router.cpus != 1:
            notes.append(
                f"{router.name}: memory and cpus are set by the vrnetlab image, not the topology"
            )
        nodes[router.name] = node
    links = [
        {"endpoints": [f"{end.router}:{clab_interface(end)}" for end in (ln.a, ln.b)]}
        for ln in lab.links
    ]
    topology: dict[str, object] = {"nodes": nodes}
    if links:
        topology["links"] = links
    header = (
        f"# containerlab topology of the mikrodock lab {lab.name}: `containerlab deploy -t FILE`.\n"
        "# mikrotik_ros nodes: eth0 = ether1 (management), ethN = ether(N+1).\n"
    )
    return Export(header + _dump({"name": lab.name, "topology": topology}), tuple(notes))


def _image_spec(router: LabRouter, resolve: Resolve) -> DockerImageSpec:
    if router.image is not None:
        return DockerImageSpec(f"{router.name}-local", arch=router.arch, image_file=router.image)
    return DockerImageSpec(_version(router, resolve), arch=router.arch)


def _context_dir(spec: DockerImageSpec) -> str:
    return "chr-" + spec.tag.split(":", 1)[1]


def render_compose(lab: Lab, resolve: Resolve, *, out_dir: Path | None = None) -> Export:
    """A docker-compose.yml with one service per router (build contexts in ``chr-<version>/``)."""
    services: dict[str, object] = {}
    volumes: dict[str, object] = {}
    for index, router in enumerate(lab.routers):
        spec = _image_spec(router, resolve)
        base = COMPOSE_HOST_BASE + COMPOSE_ROUTER_STEP * index
        service: dict[str, object] = {
            "build": f"./{_context_dir(spec)}",
            "image": spec.tag,
            "hostname": router.name,
            "restart": "unless-stopped",
            "stop_grace_period": f"{spec.stop_timeout + 10}s",
            "environment": {"CHR_MEMORY": router.memory, "CHR_CPUS": str(router.cpus)},
            "volumes": [f"{router.name}-data:{STATE_VOLUME}"],
            "ports": [f"127.0.0.1:{base + port}:{port}" for port in MANAGEMENT_PORTS],
        }
        if router.startup is not None:
            env = service["environment"]
            assert isinstance(env, dict)
            env["MIKRODOCK_STARTUP_SCRIPT"] = STARTUP_PATH
            vols = service["volumes"]
            assert isinstance(vols, list)
            vols.append(f"{_relative(router.startup, out_dir)}:{STARTUP_PATH}:ro")
        services[router.name] = service
        volumes[f"{router.name}-data"] = {}
    notes = [f"link {link} is not wired in compose" for link in lab.links]
    if notes:
        notes.append("use --containerlab or `mikrodock lab up` for a lab with links")
    rest = ", ".join(
        f"{r.name} http://127.0.0.1:{COMPOSE_HOST_BASE + COMPOSE_ROUTER_STEP * i + 80}"
        for i, r in enumerate(lab.routers)
    )
    header = (
        f"# mikrodock lab {lab.name} as containers: `docker compose up -d --build`.\n"
        f"# REST: {rest}\n"
        f"# Router disks stay on the volumes; each image keeps its CHR under {HOME}.\n"
    )
    return Export(header + _dump({"services": services, "volumes": volumes}), tuple(notes))


def _check_out(out: Path) -> None:
    if out.exists() and out.is_dir():
        raise UsageError(f"{out} is a folder", hint="give -o the file to write")


def write_containerlab(lab: Lab, resolve: Resolve, out: Path) -> Export:
    _check_out(out)
    export = render_containerlab(lab, resolve, out_dir=out.resolve().parent)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(export.text)
    return export


def write_compose(lab: Lab, resolve: Resolve, out: Path) -> Export:
    """The compose file and, beside it, one build context per image it names."""
    _check_out(out)
    folder = out.resolve().parent
    export = render_compose(lab, resolve, out_dir=folder)
    specs = {_context_dir(s): s for s in (_image_spec(r, resolve) for r in lab.routers)}
    folder.mkdir(parents=True, exist_ok=True)
    for name, spec in specs.items():
        write_context(spec, folder / name)
    out.write_text(export.text)
    return export
