"""A lab as a clabernetes ``Topology``: the containerlab topology run across a Kubernetes cluster.

clabernetes (``clabernetes.containerlab.dev/v1alpha1``, kind ``Topology``) takes a containerlab
topology as a string in ``spec.definition.containerlab`` and runs each node in its own pod,
joining the links with VXLAN tunnels between pods. What this module adds to the containerlab
export:

- the startup scripts inline in the topology (the launcher pods do not have the lab's files);
- each router's pod resources in ``spec.deployment.resources`` (the router's memory plus what
  QEMU and mikrodock need beside it, its CPUs);
- WinBox (8291) and the API ports (8728, 8729) in each node's ``ports``: clabernetes exposes
  SSH, telnet, HTTP and HTTPS on its own, and every port a node lists.

The images must be in a registry the cluster pulls from: build them with ``mikrodock chr
dockerfile``, push them, and give their names with ``image_prefix``.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import LiteralScalarString

from mikrodock.errors import UsageError
from mikrodock.lab.export import Export, Resolve, containerlab_document, dump_yaml
from mikrodock.lab.labfile import Lab
from mikrodock.routeros.values import parse_size

__all__ = ["API_VERSION", "EXTRA_PORTS", "render_clabernetes", "write_clabernetes"]

API_VERSION = "clabernetes.containerlab.dev/v1alpha1"
EXTRA_PORTS: tuple[int, ...] = (8291, 8728, 8729)
"""management ports clabernetes does not expose by itself (WinBox, API, API-SSL)"""
OVERHEAD_MIB = 192
"""memory a router's pod needs beside the router's own: QEMU, Python, the page cache"""


def _k8s_name(text: str) -> str:
    name = re.sub(r"[^a-z0-9-]", "-", text.lower()).strip("-")
    return name[:63] or "lab"


def render_clabernetes(
    lab: Lab,
    resolve: Resolve,
    *,
    vrnetlab: bool = False,
    image_prefix: str = "",
    namespace: str | None = None,
) -> Export:
    """The ``Topology`` resource for ``lab`` (``kubectl apply -f FILE``)."""
    document, notes = containerlab_document(lab, resolve, vrnetlab=vrnetlab, inline_startup=True)
    topology = document["topology"]
    assert isinstance(topology, dict)
    resources: dict[str, object] = {}
    for router in lab.routers:
        node = topology["nodes"][router.name]
        if image_prefix:
            node["image"] = f"{image_prefix.rstrip('/')}/{node['image']}"
        node["ports"] = [f"{port}:{port}" for port in EXTRA_PORTS]
        mib = (parse_size(router.memory) or 0) >> 20
        resources[router.name] = {
            "requests": {"memory": f"{mib + OVERHEAD_MIB}Mi", "cpu": str(router.cpus)},
        }
    if not image_prefix:
        notes.append(
            "push the images to a registry the cluster reaches and export again with"
            " --image-prefix REGISTRY/PATH"
        )
    metadata: dict[str, object] = {"name": _k8s_name(lab.name)}
    if namespace:
        metadata["namespace"] = namespace
    resource = {
        "apiVersion": API_VERSION,
        "kind": "Topology",
        "metadata": metadata,
        "spec": {
            "definition": {"containerlab": LiteralScalarString(dump_yaml(document))},
            "deployment": {"resources": resources},
            "expose": {"disableExpose": False, "disableAutoExpose": False},
            "naming": "prefixed",  # resources named <topology>-<node>: several labs per namespace
        },
    }
    header = (
        f"# clabernetes Topology of the mikrodock lab {lab.name}: `kubectl apply -f FILE`.\n"
        "# Each router runs in its own pod; links are VXLAN tunnels between the pods.\n"
    )
    out = io.StringIO()
    yaml = YAML()  # round-trip: the embedded topology stays a readable literal block
    yaml.dump(resource, out)
    return Export(header + out.getvalue(), tuple(notes))


def write_clabernetes(lab: Lab, resolve: Resolve, out: Path, **options: Any) -> Export:
    """Write the ``Topology`` to ``out``; ``options`` as for :func:`render_clabernetes`."""
    if out.is_dir():
        raise UsageError(f"{out} is a folder", hint="give -o the file to write")
    export = render_clabernetes(lab, resolve, **options)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(export.text)
    return export
