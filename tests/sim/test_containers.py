"""The simulated /container: lifecycle with real delays, version dialects, device-mode, logs."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable

import httpx
import pytest

from mikrodock.sim import Simulator
from mikrodock.testing.sim_fixtures import container_state, wait_until

VERSIONS = ["7.15", "7.19", "7.20", "7.21", "7.22", "7.23", "7.24"]
FLAGS_7_20 = {
    "stopped",
    "starting",
    "running",
    "stopping",
    "downloading/extracting",
    "deleting",
    "download/extract failed",
}
"""The state flags of MikroTik's CLI reference for /container (healthcheck ones from 7.22)."""
ORDER = ["extracting", "stopped", "starting", "running", "stopping", "stopped"]
Factory = Callable[..., Simulator]
Clients = Callable[[Simulator], httpx.Client]


def _watch(rest: httpx.Client, item_id: str, until: str) -> list[str]:
    """The distinct states a container passes through until it reaches ``until``."""
    seen: list[str] = []

    def step() -> bool:
        state = container_state(rest.get(f"/container/{item_id}").json())
        if not seen or seen[-1] != state:
            seen.append(state)
        return state == until

    wait_until(step)
    return seen


def _in_order(states: list[str], order: list[str]) -> bool:
    position = 0
    for state in states:
        while position < len(order) and order[position] != state:
            position += 1
        if position == len(order):
            return False
    return True


@pytest.mark.parametrize("version", VERSIONS)
def test_lifecycle_passes_states_in_order(
    routeros_sim_factory: Factory, client_for: Clients, version: str
) -> None:
    sim = routeros_sim_factory(version=version, delays={"extract": 0.2, "start": 0.1, "stop": 0.2})
    rest = client_for(sim)
    rest.put("/interface/veth", json={"name": "veth1", "address": "172.17.0.2/24"})
    added = rest.put(
        "/container", json={"remote-image": "library/nginx:alpine", "interface": "veth1"}
    )
    assert added.status_code in (200, 201), added.text
    record = added.json()
    assert container_state(record) == "extracting"
    cid = record[".id"]
    created = ["extracting", *_watch(rest, cid, "stopped")]
    numbers = "numbers" if version >= "7.20" else "number"
    assert rest.post("/container/start", json={numbers: cid}).json() == []
    started = _watch(rest, cid, "running")
    deleted = rest.delete(f"/container/{cid}")
    assert deleted.status_code == 400
    assert deleted.json()["error"] == 400 and deleted.json()["detail"]
    assert rest.post("/container/stop", json={numbers: cid}).json() == []
    stopped = _watch(rest, cid, "stopped")
    for states in (created, started, stopped):
        assert _in_order(states, ORDER), states
    assert rest.delete(f"/container/{cid}").status_code == 204
    assert rest.get("/container").json() == []


@pytest.mark.parametrize(
    ("version", "state_fields", "image_field", "numbers"),
    [
        ("7.15", {"status"}, "tag", "number"),
        ("7.19", {"status"}, "repo", "number"),
        ("7.20", FLAGS_7_20, "tag", "numbers"),
        (
            "7.22",
            FLAGS_7_20 | {"starting-with-healthcheck", "healthy", "unhealthy"},
            "tag",
            "numbers",
        ),
    ],
)
def test_records_follow_the_version_dialect(
    routeros_sim_factory: Factory,
    client_for: Clients,
    version: str,
    state_fields: set[str],
    image_field: str,
    numbers: str,
) -> None:
    sim = routeros_sim_factory(version=version)
    rest = client_for(sim)
    record = rest.put("/container", json={"remote-image": "nginx"}).json()
    assert state_fields <= set(record)
    assert not ({"status", "running"} - state_fields) & set(record)
    assert record[image_field] == "registry-1.docker.io/library/nginx:latest"
    other = "number" if numbers == "numbers" else "numbers"
    wrong = rest.post("/container/start", json={other: record[".id"]})
    assert wrong.json()["detail"] == f"unknown parameter {other}"


@pytest.mark.parametrize("version", ["7.15", "7.19"])
def test_name_is_settable_only_from_7_19(
    routeros_sim_factory: Factory, client_for: Clients, version: str
) -> None:
    rest = client_for(routeros_sim_factory(version=version))
    answer = rest.put("/container", json={"remote-image": "nginx", "name": "web"})
    if version == "7.15":
        assert answer.json()["detail"] == "unknown parameter name"
    else:
        assert answer.json()["name"] == "web"


@pytest.mark.parametrize("version", ["7.19", "7.21"])
def test_env_and_mount_lists_follow_the_dialect(
    routeros_sim_factory: Factory, client_for: Clients, version: str
) -> None:
    sim = routeros_sim_factory(version=version, delays={"extract": 0.01, "start": 0.01})
    rest = client_for(sim)
    group = "name" if version == "7.19" else "list"
    other = "list" if group == "name" else "name"
    assert (
        rest.put("/container/envs", json={other: "app", "key": "A", "value": "1"}).json()["detail"]
        == f"unknown parameter {other}"
    )
    assert rest.put("/container/envs", json={group: "app", "key": "A", "value": "1"}).is_success
    assert rest.put(
        "/container/mounts", json={group: "data", "src": "disk1/data", "dst": "/data"}
    ).is_success
    props = {"remote-image": "alpine", "cmd": "sleep 1000", "name": "c1"}
    if version == "7.19":
        props.update(envlist="app", mounts="data")
        assert rest.put("/container", json={**props, "env": "B=2"}).json()["detail"] == (
            "unknown parameter env"
        )
    else:
        props.update(envlists="app", mountlists="data", env="B=2")
    rest.put("/container", json=props).raise_for_status()
    if version == "7.19":
        shell = rest.post("/container/shell", json={"number": "c1", "cmd": "env"})
        assert shell.json()["detail"] == "unknown parameter cmd"
        return
    wait_until(lambda: container_state(rest.get("/container").json()[0]) == "stopped")
    rest.post("/container/start", json={"numbers": "c1"})
    wait_until(lambda: container_state(rest.get("/container").json()[0]) == "running")
    sim.put_file("disk1/data/hello.txt", b"hello from a mount\n")
    env = rest.post("/container/shell", json={"number": "c1", "cmd": "env"}).json()["ret"]
    assert env.splitlines() == ["A=1", "B=2"]
    cat = rest.post("/container/shell", json={"number": "c1", "cmd": "cat /data/hello.txt"})
    assert cat.json()["ret"] == "hello from a mount"
    missing = rest.post("/container/shell", json={"number": "c1", "cmd": "frob"})
    assert missing.json()["ret"] == "sh: frob: not found"


def test_device_mode_gate_opens_only_after_a_power_cycle(
    routeros_sim_factory: Factory, client_for: Clients
) -> None:
    sim = routeros_sim_factory(version="7.21", device_mode_locked=True)
    rest = client_for(sim)
    assert rest.get("/system/device-mode").json()["container"] == "false"
    assert rest.get("/container").json() == []
    refused = rest.put("/container", json={"remote-image": "nginx"})
    assert (refused.status_code, refused.json()["detail"]) == (400, "not allowed by device-mode")
    assert rest.post("/system/device-mode/update", json={"container": "yes"}).status_code == 200
    assert rest.post("/system/reboot", json={}).status_code == 200
    assert rest.get("/system/device-mode").json()["container"] == "false"
    rest.post("/system/device-mode/update", json={"container": "yes"})
    cycled = httpx.post(f"{sim.url}/sim/power-cycle", auth=(sim.user, sim.password))
    assert cycled.status_code == 200
    assert rest.get("/system/device-mode").json()["container"] == "true"
    assert rest.put("/container", json={"remote-image": "nginx"}).is_success


def test_without_the_container_package_the_menus_are_missing_until_installed(
    routeros_sim_factory: Factory, client_for: Clients
) -> None:
    sim = routeros_sim_factory(version="7.22", container_package=False)
    rest = client_for(sim)
    for menu in ("container", "interface/veth", "app", "container/config"):
        missing = rest.get(f"/{menu}")  # RouterOS: 400 no such command or directory
        assert missing.status_code == 400, menu
        assert missing.json()["detail"].startswith("no such command or directory"), menu
    rows = {p["name"]: p for p in rest.get("/system/package").json()}
    assert rows["container"]["disabled"] == "true"
    assert rest.post("/system/package/enable", json={"numbers": "container"}).json() == []
    assert rest.get("/system/package").json()[1]["scheduled"] == "scheduled for enable"
    assert rest.post("/system/package/apply-changes", json={}).status_code == 200
    assert rest.get("/container").json() == []
    assert rest.get("/system/package").json()[1]["disabled"] == "false"


def test_an_uploaded_package_installs_on_power_cycle(
    routeros_sim_factory: Factory, client_for: Clients
) -> None:
    sim = routeros_sim_factory(version="7.20.8", container_package=False, arch="arm64")
    rest = client_for(sim)
    sim.put_file("container-7.20.8-arm64.npk", b"\x1e\xf1\xd0\xba" + b"\x00" * 64)
    assert rest.get("/container").status_code == 400
    sim.power_cycle()
    assert rest.get("/container").status_code == 200
    assert "container-7.20.8-arm64.npk" not in [f["name"] for f in rest.get("/file").json()]


@pytest.mark.parametrize("version", ["7.19", "7.22"])
def test_container_output_reaches_the_log_only_with_a_logging_rule(
    routeros_sim_factory: Factory, client_for: Clients, version: str
) -> None:
    sim = routeros_sim_factory(version=version, delays={"extract": 0.01, "start": 0.01})
    rest = client_for(sim)
    for name in ("quiet", "loud"):
        if name == "loud":
            rest.put("/system/logging", json={"topics": "container", "action": "memory"})
        props = {"remote-image": "alpine", "cmd": f"echo hello from {name}", "logging": "yes"}
        cid = rest.put("/container", json=props).json()[".id"]
        wait_until(lambda c=cid: container_state(rest.get(f"/container/{c}").json()) == "stopped")
        rest.post("/container/start", json={("numbers" if version > "7.2" else "number"): cid})
        wait_until(lambda c=cid: container_state(rest.get(f"/container/{c}").json()) == "running")
    messages = [e["message"] for e in rest.get("/log").json() if "container" in e["topics"]]
    assert not any("quiet" in m for m in messages)
    assert any(m.endswith("hello from loud") for m in messages)
    if version >= "7.20":
        lines = [e["message"] for e in rest.get("/container/log").json()]
        assert "hello from quiet" in lines and "hello from loud" in lines


def _archive(layer_gzip: bool = False) -> bytes:
    def tar(files: dict[str, bytes], mode: str = "w") -> bytes:
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode=mode) as archive:  # type: ignore[call-overload]
            for name, data in files.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
        return out.getvalue()

    layer = tar({"etc/hostname": b"x\n"}, "w:gz" if layer_gzip else "w")
    manifest = [{"Config": "config.json", "RepoTags": ["local/app:1"], "Layers": ["layer.tar"]}]
    return tar(
        {"manifest.json": json.dumps(manifest).encode(), "config.json": b"{}", "layer.tar": layer}
    )


def test_file_images_extract_or_fail_like_routeros(
    routeros_sim_factory: Factory, client_for: Clients
) -> None:
    sim = routeros_sim_factory(version="7.22", delays={"extract": 0.01})
    rest = client_for(sim)
    sim.put_file("images/good.tar", _archive())
    sim.put_file("images/gzip.tar", _archive(layer_gzip=True))
    good = rest.put("/container", json={"file": "images/good.tar"}).json()
    bad = rest.put("/container", json={"file": "images/gzip.tar"}).json()
    assert good["tag"] == "local/app:1"
    wait_until(lambda: container_state(rest.get(f"/container/{good['.id']}").json()) == "stopped")
    failed = wait_until(
        lambda: (
            (r := rest.get(f"/container/{bad['.id']}").json())["downloading/extracting"] == "false"
            and r
        )
    )
    assert container_state(failed) == "error"
    assert rest.post("/container/start", json={"numbers": bad[".id"]}).status_code == 400
    assert rest.put("/container", json={"file": "nope.tar"}).status_code == 400


def test_start_on_boot_containers_come_back_after_a_power_cycle(
    routeros_sim_factory: Factory, client_for: Clients
) -> None:
    sim = routeros_sim_factory(version="7.23", delays={"extract": 0.01, "start": 0.01})
    rest = client_for(sim)
    keep = rest.put("/container", json={"remote-image": "a", "start-on-boot": "yes"}).json()
    drop = rest.put("/container", json={"remote-image": "b"}).json()
    wait_until(lambda: all(container_state(r) == "stopped" for r in rest.get("/container").json()))
    rest.post("/container/start", json={"numbers": f"{keep['.id']},{drop['.id']}"})
    wait_until(lambda: all(container_state(r) == "running" for r in rest.get("/container").json()))
    sim.power_cycle()
    wait_until(lambda: container_state(rest.get(f"/container/{keep['.id']}").json()) == "running")
    assert container_state(rest.get(f"/container/{drop['.id']}").json()) == "stopped"


def test_a_failing_pull_ends_in_an_error_state(
    routeros_sim_factory: Factory, client_for: Clients
) -> None:
    sim = routeros_sim_factory(version="7.19", delays={"extract": 0.01})
    rest = client_for(sim)
    made = httpx.post(
        f"{sim.url}/sim/image-failures",
        auth=(sim.user, sim.password),
        json={"pattern": "*/broken*"},
    )
    assert made.status_code == 201
    bad = rest.put("/container", json={"remote-image": "example/broken:1"}).json()
    good = rest.put("/container", json={"remote-image": "example/fine:1"}).json()
    wait_until(lambda: container_state(rest.get(f"/container/{bad['.id']}").json()) == "error")
    wait_until(lambda: container_state(rest.get(f"/container/{good['.id']}").json()) == "stopped")
    refused = rest.post("/container/start", json={"number": bad[".id"]}).json()
    assert "no manifest" in refused["detail"]
