"""Lab export: containerlab topology (kind mikrotik_ros) and a compose file of CHR images."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import regex
from jsonschema import Draft7Validator, ValidationError, validators
from ruamel.yaml import YAML

from mikrodock.lab.clabernetes import render_clabernetes
from mikrodock.lab.export import render_compose, render_containerlab, write_compose
from mikrodock.lab.labfile import load_lab, parse_endpoint

LAB = """\
name: triangle
defaults:
  version: 7.22.3
routers:
  r1:
    startup: r1.rsc
    memory: 512M
  r2:
  r3:
    version: stable
links:
  - r1:ether2=r2:ether2
  - r2:ether3=r3:ether2
  - r3:ether5=r1:ether3
"""


def resolve(reference: str) -> str:
    return {"stable": "7.21.3"}.get(reference, reference)


@pytest.fixture
def lab_file(tmp_path: Path) -> Path:
    (tmp_path / "r1.rsc").write_text("/system identity set name=r1\n")
    path = tmp_path / "triangle.yaml"
    path.write_text(LAB)
    return path


def load(text: str) -> Any:
    return YAML(typ="safe").load(text)


DATA = Path(__file__).parent / "data"


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    # containerlab's patterns use \p{L}/\p{N}, which only the regex package knows
    if isinstance(instance, str) and not regex.search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


SchemaValidator = validators.extend(Draft7Validator, {"pattern": _pattern})


def clab_validator() -> Any:
    return SchemaValidator(json.loads((DATA / "containerlab.clab.schema.json").read_text()))


def _drop_k8s_keys(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _drop_k8s_keys(v) for k, v in node.items() if not k.startswith("x-kubernetes")}
    if isinstance(node, list):
        return [_drop_k8s_keys(item) for item in node]
    return node


def topology_validator() -> Draft7Validator:
    crd = load((DATA / "clabernetes.topologies.crd.yaml").read_text())
    return Draft7Validator(_drop_k8s_keys(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]))


def test_containerlab_uses_mikrodock_images_and_validates(lab_file: Path) -> None:
    lab = load_lab(lab_file)
    export = render_containerlab(lab, resolve, out_dir=lab_file.parent)
    topo = load(export.text)
    clab_validator().validate(topo)
    nodes = topo["topology"]["nodes"]
    assert all(node["kind"] == "mikrotik_ros" for node in nodes.values())
    assert nodes["r1"]["image"] == "mikrodock-chr:7.22.3"
    assert nodes["r3"]["image"] == "mikrodock-chr:7.21.3"  # channel resolved
    assert nodes["r1"]["env"] == {"CHR_MEMORY": "512M", "CHR_CPUS": "1"}
    assert "env" not in nodes["r2"]
    assert nodes["r1"]["startup-config"] == "./r1.rsc"
    # how to build each image is said once per router
    assert any("mikrodock chr dockerfile 7.21.3" in note for note in export.notes)


def test_containerlab_vrnetlab_nodes_and_interface_names(lab_file: Path) -> None:
    lab = load_lab(lab_file)
    export = render_containerlab(lab, resolve, out_dir=lab_file.parent, vrnetlab=True)
    topo = load(export.text)
    clab_validator().validate(topo)
    assert topo["name"] == "triangle"
    nodes = topo["topology"]["nodes"]
    assert set(nodes) == {"r1", "r2", "r3"}
    assert all(node["kind"] == "mikrotik_ros" for node in nodes.values())
    assert nodes["r1"]["image"] == "vrnetlab/mikrotik_routeros:7.22.3"
    assert nodes["r3"]["image"] == "vrnetlab/mikrotik_routeros:7.21.3"  # channel resolved
    assert nodes["r1"]["startup-config"] == "./r1.rsc"
    assert "startup-config" not in nodes["r2"]
    # eth0 is management (ether1); data interface ethN is RouterOS ether(N+1)
    assert [link["endpoints"] for link in topo["topology"]["links"]] == [
        ["r1:eth1", "r2:eth1"],
        ["r2:eth2", "r3:eth1"],
        ["r3:eth4", "r1:eth2"],
    ]
    assert any("memory" in note for note in export.notes)  # r1 asked for 512M


def test_interface_mapping_rule() -> None:
    from mikrodock.lab.export import clab_interface

    assert clab_interface(parse_endpoint("r1:ether2")) == "eth1"
    assert clab_interface(parse_endpoint("r1:ether10")) == "eth9"


def test_compose_export_has_a_service_volume_and_context_per_router(lab_file: Path) -> None:
    lab = load_lab(lab_file)
    out = lab_file.parent / "out" / "docker-compose.yml"
    export = write_compose(lab, resolve, out)
    doc = load(out.read_text())
    services = doc["services"]
    assert set(services) == {"r1", "r2", "r3"}
    assert services["r1"]["image"] == "mikrodock-chr:7.22.3"
    assert services["r3"]["image"] == "mikrodock-chr:7.21.3"
    assert services["r1"]["build"] == "./chr-7.22.3"
    assert (out.parent / "chr-7.22.3" / "Dockerfile").is_file()
    assert (out.parent / "chr-7.21.3" / "Dockerfile").is_file()
    assert services["r1"]["environment"]["CHR_MEMORY"] == "512M"
    assert services["r1"]["environment"]["MIKRODOCK_STARTUP_SCRIPT"] == "/config/startup.rsc"
    assert "../r1.rsc:/config/startup.rsc:ro" in services["r1"]["volumes"]
    assert set(doc["volumes"]) == {"r1-data", "r2-data", "r3-data"}
    published = [p for s in services.values() for p in s["ports"]]
    assert len(published) == len(set(published)), "routers must not share host ports"
    assert all(p.startswith("127.0.0.1:") for p in published)
    assert "127.0.0.1:10080:80" in services["r1"]["ports"]
    assert "127.0.0.1:10180:80" in services["r2"]["ports"]
    assert export.notes == ()
    # each link is its own internal network; a router names the subnet of each of its etherN
    networks = doc["networks"]
    assert networks.pop("default") == {}  # management, eth0
    assert set(networks) == {"link1", "link2", "link3"}
    subnets = [net["ipam"]["config"][0]["subnet"] for net in networks.values()]
    assert len(set(subnets)) == 3
    r1 = services["r1"]
    assert r1["networks"] == ["default", "link1", "link3"]  # ether2, ether3
    assert r1["environment"]["MIKRODOCK_DATA_LINKS"] == (f"ether2={subnets[0]},ether3={subnets[2]}")
    assert services["r3"]["environment"]["MIKRODOCK_DATA_LINKS"] == (
        f"ether2={subnets[1]},ether5={subnets[2]}"
    )
    assert r1["cap_add"] == ["NET_ADMIN"] and r1["devices"] == ["/dev/net/tun"]


def test_clabernetes_topology_validates_against_the_crd(lab_file: Path) -> None:
    lab = load_lab(lab_file)
    export = render_clabernetes(lab, resolve, image_prefix="registry.example:5000/labs")
    resource = load(export.text)
    topology_validator().validate(resource)
    assert resource["apiVersion"] == "clabernetes.containerlab.dev/v1alpha1"
    assert resource["kind"] == "Topology"
    assert resource["metadata"]["name"] == "triangle"
    inner = load(resource["spec"]["definition"]["containerlab"])
    clab_validator().validate(inner)
    nodes = inner["topology"]["nodes"]
    assert nodes["r1"]["image"] == "registry.example:5000/labs/mikrodock-chr:7.22.3"
    assert "8291:8291" in nodes["r1"]["ports"]  # WinBox exposed; clabernetes adds SSH/HTTP
    # the startup script travels inside the topology: the launcher pods lack the lab's files
    assert nodes["r1"]["startup-config"] == "/system identity set name=r1\n"
    resources = resource["spec"]["deployment"]["resources"]
    assert resources["r1"]["requests"]["memory"] == "704Mi"  # 512M + QEMU and mikrodock
    assert resources["r2"]["requests"]["cpu"] == "1"
    assert not any("registry" in note for note in export.notes)


def test_clabernetes_without_a_registry_says_to_push(lab_file: Path) -> None:
    export = render_clabernetes(load_lab(lab_file), resolve)
    assert any("--image-prefix" in note for note in export.notes)


def test_cli_exports_vrnetlab_and_clabernetes(
    lab_file: Path, cli: Callable[..., Any], upgrade_host: str
) -> None:
    result = cli("lab", "export", str(lab_file), "--containerlab", "--vrnetlab", "--json")
    assert result.exit_code == 0, result.err
    topo = load(Path(json.loads(result.output)["file"]).read_text())
    assert topo["topology"]["nodes"]["r3"]["image"] == "vrnetlab/mikrotik_routeros:7.21.3"
    result = cli("lab", "export", str(lab_file), "--clabernetes", "--namespace", "labs")
    assert result.exit_code == 0, result.err
    resource = load((lab_file.parent / "triangle.clabernetes.yaml").read_text())
    topology_validator().validate(resource)
    assert resource["metadata"]["namespace"] == "labs"
    result = cli("lab", "export", str(lab_file), "--compose", "--vrnetlab")
    assert result.exit_code == 2 and "--vrnetlab" in result.err


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not installed")
def test_compose_export_passes_docker_compose_config(lab_file: Path) -> None:
    out = lab_file.parent / "docker-compose.yml"
    write_compose(load_lab(lab_file), resolve, out)
    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent.sock"}
    done = subprocess.run(
        ["docker-compose", "-f", str(out), "config", "--quiet"],
        capture_output=True, text=True, cwd=out.parent, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_compose_render_is_pure(lab_file: Path) -> None:
    lab = load_lab(lab_file)
    assert render_compose(lab, resolve).text == render_compose(lab, resolve).text
    assert not (lab_file.parent / "chr-7.22.3").exists()


def test_cli_lab_export(lab_file: Path, cli: Callable[..., Any], upgrade_host: str) -> None:
    result = cli("lab", "export", str(lab_file), "--containerlab", "--json")
    assert result.exit_code == 0, result.err
    data = json.loads(result.output)
    assert data["file"].endswith("triangle.clab.yml")
    topo = load(Path(data["file"]).read_text())
    nodes = topo["topology"]["nodes"]
    assert nodes["r1"]["kind"] == "mikrotik_ros"
    assert nodes["r3"]["image"].endswith(":7.21.3")  # "stable" as the upgrade host answers


def test_cli_lab_export_needs_exactly_one_format(lab_file: Path, cli: Callable[..., Any]) -> None:
    result = cli("lab", "export", str(lab_file))
    assert result.exit_code == 2
    assert "--containerlab, --compose or --clabernetes" in result.err


def test_cli_lab_export_bad_file_exit_2(tmp_path: Path, cli: Callable[..., Any]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("routers:\n  r1:\n    memroy: 1G\n")
    result = cli("lab", "export", str(bad), "--compose")
    assert result.exit_code == 2
    assert f"{bad}:3: unknown key 'memroy'" in result.err
    assert not (tmp_path / "docker-compose.yml").exists()


def test_a_router_from_a_local_image(tmp_path: Path) -> None:
    image = tmp_path / "chr-7.22.3.img"
    image.write_bytes(b"disk")
    (tmp_path / "lab.yaml").write_text("routers:\n  edge:\n    image: chr-7.22.3.img\n")
    lab = load_lab(tmp_path / "lab.yaml")
    topo = load(render_containerlab(lab, resolve, vrnetlab=True).text)
    assert topo["topology"]["nodes"]["edge"]["image"] == "vrnetlab/mikrotik_routeros:edge"
    topo = load(render_containerlab(lab, resolve).text)
    assert topo["topology"]["nodes"]["edge"]["image"] == "mikrodock-chr:edge-local"
    export = write_compose(lab, resolve, tmp_path / "out" / "docker-compose.yml")
    service = load(export.text)["services"]["edge"]
    assert service["build"] == "./chr-edge-local"
    context = tmp_path / "out" / "chr-edge-local"
    assert (context / "chr-image.img").read_bytes() == b"disk"
    assert "--image /var/lib/mikrodock/chr-image.img" in (context / "entrypoint.sh").read_text()


def test_cli_dockerfile_with_a_local_image_is_labelled_local(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    image = tmp_path / "chr.img"
    image.write_bytes(b"disk")
    result = cli("chr", "dockerfile", "--image", str(image), "-o", str(tmp_path / "c"), "--json")
    assert result.exit_code == 0, result.err
    assert json.loads(result.output)["tag"] == "mikrodock-chr:local"
