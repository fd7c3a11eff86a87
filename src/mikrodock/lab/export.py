"""A lab for other tools: a containerlab topology, or a compose file of mikrodock CHR images.

**containerlab** runs RouterOS as kind ``mikrotik_ros``: by default on the images of
``mikrodock chr dockerfile`` (``mikrodock-chr:<version>``), which honour that kind's contract;
with ``vrnetlab`` on vrnetlab's ``vrnetlab/mikrotik_routeros:<version>``. Inside such a node
``eth0`` is the management interface (RouterOS ``ether1``) and data interface ``ethN`` is
RouterOS ``ether(N+1)``, so a lab link ``r1:ether2=r2:ether2`` becomes the endpoints
``["r1:eth1", "r2:eth1"]``. A router's startup script becomes its ``startup-config``.

**compose** gives each router a service built from the context of ``mikrodock chr dockerfile``
(one context per RouterOS version, written beside the compose file), its own volume, its
startup script mounted, and its management ports on 127.0.0.1. Each link is its own
network; the image joins the container interface on that network to the router's etherN.

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
    DATA_LINKS_ENV,
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
    "VRNETLAB_IMAGE",
    "Export",
    "clab_interface",
    "containerlab_document",
    "dump_yaml",
    "render_compose",
    "render_containerlab",
    "write_compose",
    "write_containerlab",
]

VRNETLAB_IMAGE = "vrnetlab/mikrotik_routeros"
"""the image containerlab uses for kind mikrotik_ros unless told otherwise (``--vrnetlab``)"""
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


def dump_yaml(document: object) -> str:
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


def _mikrodock_node(router: LabRouter, resolve: Resolve, notes: list[str]) -> dict[str, object]:
    spec = _image_spec(router, resolve)
    node: dict[str, object] = {"kind": "mikrotik_ros", "image": spec.tag}
    if router.memory != "256M" or router.cpus != 1:
        node["env"] = {"CHR_MEMORY": router.memory, "CHR_CPUS": str(router.cpus)}
    context = _context_dir(spec)
    source = f" --image {router.image}" if router.image is not None else f" {spec.version}"
    arch = f" --arch {router.arch}" if router.arch != "x86_64" else ""
    notes.append(
        f"{router.name}: build {spec.tag} with `mikrodock chr dockerfile{source}{arch}"
        f" -o {context}` and `docker build --format docker -t {spec.tag} {context}`"
        " (or plain `docker build`)"
    )
    return node


def _vrnetlab_node(router: LabRouter, resolve: Resolve, notes: list[str]) -> dict[str, object]:
    node: dict[str, object] = {"kind": "mikrotik_ros"}
    if router.image is not None:
        node["image"] = f"{VRNETLAB_IMAGE}:{router.name}"
        notes.append(
            f"{router.name}: build a vrnetlab mikrotik_routeros image from {router.image}"
            f" and tag it {VRNETLAB_IMAGE}:{router.name}"
        )
    else:
        node["image"] = f"{VRNETLAB_IMAGE}:{_version(router, resolve)}"
    if router.arch != "x86_64":
        notes.append(f"{router.name}: vrnetlab images run x86_64 CHR; arch {router.arch} kept")
    if router.memory != "256M" or router.cpus != 1:
        notes.append(
            f"{router.name}: memory and cpus are set by the vrnetlab image, not the topology"
        )
    return node


def containerlab_document(
    lab: Lab,
    resolve: Resolve,
    *,
    out_dir: Path | None = None,
    vrnetlab: bool = False,
    inline_startup: bool = False,
) -> tuple[dict[str, object], list[str]]:
    """The containerlab topology of ``lab`` as a document, and the notes for the user.

    ``inline_startup``: the startup scripts' text in the topology instead of their paths (for
    clabernetes, whose launcher pods do not have the lab's files)."""
    notes: list[str] = []
    nodes: dict[str, dict[str, object]] = {}
    for router in lab.routers:
        make = _vrnetlab_node if vrnetlab else _mikrodock_node
        node = make(router, resolve, notes)
        if router.startup is not None:
            node["startup-config"] = (
                router.startup.read_text() if inline_startup
                else _relative(router.startup, out_dir)
            )  # fmt: skip
        nodes[router.name] = node
    links = [
        {"endpoints": [f"{end.router}:{clab_interface(end)}" for end in (ln.a, ln.b)]}
        for ln in lab.links
    ]
    topology: dict[str, object] = {"nodes": nodes}
    if links:
        topology["links"] = links
    return {"name": lab.name, "topology": topology}, notes


def render_containerlab(
    lab: Lab, resolve: Resolve, *, out_dir: Path | None = None, vrnetlab: bool = False
) -> Export:
    """The containerlab topology (``<lab>.clab.yml``) for ``lab``: mikrodock images (from
    ``chr dockerfile``), or vrnetlab's ``mikrotik_routeros`` images with ``vrnetlab``."""
    document, notes = containerlab_document(lab, resolve, out_dir=out_dir, vrnetlab=vrnetlab)
    header = (
        f"# containerlab topology of the mikrodock lab {lab.name}: `containerlab deploy -t FILE`.\n"
        "# mikrotik_ros nodes: eth0 = ether1 (management), ethN = ether(N+1).\n"
    )
    return Export(header + dump_yaml(document), tuple(notes))


def _image_spec(router: LabRouter, resolve: Resolve) -> DockerImageSpec:
    if router.image is not None:
        return DockerImageSpec(f"{router.name}-local", arch=router.arch, image_file=router.image)
    return DockerImageSpec(_version(router, resolve), arch=router.arch)


def _context_dir(spec: DockerImageSpec) -> str:
    return "chr-" + spec.tag.split(":", 1)[1]


def render_compose(lab: Lab, resolve: Resolve, *, out_dir: Path | None = None) -> Export:
    """A docker-compose.yml with one service per router (build contexts in ``chr-<version>/``)
    and one network per link; each router's ``MIKRODOCK_DATA_LINKS`` names the subnet
    of the network that is its ``etherN``, so the order in which the engine adds a container's
    interfaces does not matter."""
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
        wired = _data_links(router.name, lab)
        if wired:
            env = service["environment"]
            assert isinstance(env, dict)
            env[DATA_LINKS_ENV] = ",".join(f"{ether}={net}" for ether, (_, net) in wired.items())
            service["cap_add"] = ["NET_ADMIN"]
            service["devices"] = ["/dev/net/tun"]
            service["networks"] = ["default", *(name for name, _ in wired.values())]
        services[router.name] = service
        volumes[f"{router.name}-data"] = {}
    networks: dict[str, object] = {
        _link_network(index): {"ipam": {"config": [{"subnet": _subnet(index)}]}}
        for index in range(len(lab.links))
    }
    if networks:  # management; named, since the services list their networks
        networks = {"default": {}, **networks}
    notes: list[str] = []
    rest = ", ".join(
        f"{r.name} http://127.0.0.1:{COMPOSE_HOST_BASE + COMPOSE_ROUTER_STEP * i + 80}"
        for i, r in enumerate(lab.routers)
    )
    header = (
        f"# mikrodock lab {lab.name} as containers: `docker compose up -d --build`.\n"
        f"# REST: {rest}\n"
        f"# Router disks stay on the volumes; each image keeps its CHR under {HOME}.\n"
    )
    document: dict[str, object] = {"services": services, "volumes": volumes}
    if networks:
        document["networks"] = networks
    return Export(header + dump_yaml(document), tuple(notes))


def _link_network(index: int) -> str:
    return f"link{index + 1}"


def _subnet(index: int) -> str:
    """Link i's network: a /29 of 10.253.0.0/16 that says which container interface it is."""
    return f"10.253.{index // 32}.{(index % 32) * 8}/29"


def _data_links(router: str, lab: Lab) -> dict[str, tuple[str, str]]:
    """``etherN`` -> (network, subnet) of each link of ``router``, in etherN order."""
    found: dict[int, tuple[str, str]] = {}
    for index, link in enumerate(lab.links):
        for end in (link.a, link.b):
            if end.router == router:
                found[end.index] = (_link_network(index), _subnet(index))
    return {f"ether{n}": found[n] for n in sorted(found)}


def _check_out(out: Path) -> None:
    if out.exists() and out.is_dir():
        raise UsageError(f"{out} is a folder", hint="give -o the file to write")


def write_containerlab(lab: Lab, resolve: Resolve, out: Path, *, vrnetlab: bool = False) -> Export:
    _check_out(out)
    export = render_containerlab(lab, resolve, out_dir=out.resolve().parent, vrnetlab=vrnetlab)
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
