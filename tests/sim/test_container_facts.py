"""What a simulated /container record prints by version (state flags, read-only fields,
/container/layers), the candidates played where sources disagree, and the simulator's
independence from the product's layers."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import httpx
import pytest

from mikrodock.errors import UsageError
from mikrodock.sim import Simulator
from mikrodock.testing.sim_fixtures import container_state, wait_until

Factory = Callable[..., Simulator]
Clients = Callable[[Simulator], httpx.Client]
FAST = {"extract": 0.01, "start": 0.01, "stop": 0.01}
SLOW_EXTRACT = {"extract": 30, "start": 0.01, "stop": 0.01}


def _add(rest: httpx.Client, **args: str) -> dict[str, str]:
    answer = rest.put("/container", json={"remote-image": "nginx", **args})
    assert answer.is_success, answer.text
    return dict(answer.json())


def _get(rest: httpx.Client, cid: str) -> dict[str, str]:
    return dict(rest.get(f"/container/{cid}").json())


def _running(rest: httpx.Client, cid: str, version: str) -> dict[str, str]:
    wait_until(lambda: container_state(_get(rest, cid)) == "stopped")
    numbers = "numbers" if version >= "7.20" else "number"
    assert rest.post("/container/start", json={numbers: cid}).is_success
    return dict(
        wait_until(lambda: (r := _get(rest, cid)) and container_state(r) == "running" and r)
    )


@pytest.mark.parametrize("version", ["7.15", "7.19"])
def test_up_to_7_19_the_state_is_one_status_string(
    routeros_sim_factory: Factory, client_for: Clients, version: str
) -> None:
    rest = client_for(routeros_sim_factory(version=version, delays=FAST))
    record = _add(rest)
    assert record["status"] == "extracting"
    assert not {"stopped", "running", "downloading/extracting"} & set(record)
    running = _running(rest, record[".id"], version)
    assert running["status"] == "running"
    assert "cpu-usage" not in running and "memory-current" not in running
    assert {"os", "arch"} <= set(running)


def test_7_20_flags_overlap_while_extracting(
    routeros_sim_factory: Factory, client_for: Clients
) -> None:
    sim = routeros_sim_factory(version="7.20", delays=SLOW_EXTRACT)
    rest = client_for(sim)
    record = _add(rest)
    assert record["downloading/extracting"] == "true"
    assert record["stopped"] == "true"  # both, as a REST client saw during a pull
    assert {record[f] for f in ("running", "starting", "stopping", "deleting")} == {"false"}
    assert "healthy" not in record  # health check flags arrive with healthcheck-* (7.22)
    assert "status" not in record
    assert container_state(record) == "extracting"


def test_a_failed_pull_reads_failed_and_stopped(
    routeros_sim_factory: Factory, client_for: Clients
) -> None:
    sim = routeros_sim_factory(version="7.22", delays=FAST)
    sim.router.image_failures["*broken*"] = "failure: no manifest found for this architecture"
    rest = client_for(sim)
    cid = _add(rest, **{"remote-image": "acme/broken"})[".id"]
    record = wait_until(lambda: (r := _get(rest, cid))["downloading/extracting"] == "false" and r)
    assert record["download/extract failed"] == "true" and record["stopped"] == "true"
    assert record["error"] == "failure: no manifest found for this architecture"
    assert container_state(record) == "error"


def test_a_health_checked_container_starts_with_healthcheck_then_reads_healthy(
    routeros_sim_factory: Factory, client_for: Clients
) -> None:
    sim = routeros_sim_factory(version="7.22", delays={"extract": 0.01, "start": 30, "stop": 0.01})
    rest = client_for(sim)
    cid = _add(rest, **{"healthcheck-cmd": "true"})[".id"]
    wait_until(lambda: container_state(_get(rest, cid)) == "stopped")
    assert rest.post("/container/start", json={"numbers": cid}).is_success
    starting = _get(rest, cid)
    assert starting["starting-with-healthcheck"] == "true" and starting["starting"] == "false"
    assert container_state(starting) == "starting"
    sim.router.state.menu("container").items[0]["_due"] = "0"  # end the start now
    up = _get(rest, cid)
    assert up["healthy"] == "true" and up["running"] == "false"  # as seen on 7.23.7
    assert up["healthcheck-status"] == "healthy"
    assert container_state(up) == "running"


@pytest.mark.parametrize(
    ("version", "present", "absent"),
    [
        ("7.20", {"cpu-usage", "memory-current"}, {"image-id", "layers", "restart-count"}),
        ("7.21", {"cpu-usage", "image-id", "layers", "env-current"}, {"restart-count"}),
        ("7.23", {"memory-current", "image-id", "env-current", "restart-count"}, set()),
    ],
)
def test_read_only_fields_by_version(
    routeros_sim_factory: Factory,
    client_for: Clients,
    version: str,
    present: set[str],
    absent: set[str],
) -> None:
    rest = client_for(routeros_sim_factory(version=version, delays=FAST))
    running = _running(rest, _add(rest)[".id"], version)
    assert present <= set(running)
    assert not absent & set(running)
    assert running["os"] == "linux" and running["arch"] == "amd64"


def test_restart_counts_restarts_on_7_23(
    routeros_sim_factory: Factory, client_for: Clients
) -> None:
    rest = client_for(routeros_sim_factory(version="7.23", delays=FAST))
    cid = _add(rest)[".id"]
    assert _running(rest, cid, "7.23")["restart-count"] == "0"
    assert rest.post("/container/restart", json={"number": cid}).is_success
    assert (
        wait_until(lambda: (r := _get(rest, cid))["running"] == "true" and r)["restart-count"]
        == "1"
    )


def test_layers_list_one_layer_per_image_from_7_21(
    routeros_sim_factory: Factory, client_for: Clients
) -> None:
    rest = client_for(routeros_sim_factory(version="7.21", delays=FAST))
    first = _add(rest, name="a")
    _add(rest, name="b")
    _add(rest, name="c", **{"remote-image": "alpine:3"})
    layers = rest.get("/container/layers").json()
    assert len(layers) == 2
    assert first["layers"] in {layer["digest"] for layer in layers}
    assert rest.put("/container/layers", json={"digest": "x"}).status_code == 400
    old = client_for(routeros_sim_factory(version="7.20"))
    assert old.get("/container/layers").status_code in (400, 404)


# --- candidates ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("version", "picked", "field"),
    [
        ("7.17", "repo", "tag"),  # known versions keep their field whatever is picked
        ("7.19", "tag", "repo"),
        ("7.21", "repo", "repo"),
        ("7.21", "tag", "tag"),
        ("7.22.3", "repo", "repo"),
    ],
)
def test_image_field_candidate(
    routeros_sim_factory: Factory, client_for: Clients, version: str, picked: str, field: str
) -> None:
    sim = routeros_sim_factory(version=version, candidates={"image-field": picked})
    record = _add(client_for(sim))
    other = "tag" if field == "repo" else "repo"
    assert record[field] == "registry-1.docker.io/library/nginx:latest"
    assert other not in record


def test_flag_candidates(routeros_sim_factory: Factory, client_for: Clients) -> None:
    sim = routeros_sim_factory(
        version="7.22", delays=SLOW_EXTRACT, candidates={"flag-names": "short", "flags": "set"}
    )
    record = _add(client_for(sim))
    assert record["extracting"] == "true" and record["stopped"] == "true"
    assert not {"running", "starting", "downloading/extracting", "failed"} & set(record)
    assert container_state(record) == "extracting"


def test_candidates_from_the_environment(
    routeros_sim_factory: Factory, client_for: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIKRODOCK_SIM_CANDIDATES", "image-field=repo")
    sim = routeros_sim_factory(version="7.22")
    assert "repo" in _add(client_for(sim))
    assert sim.describe()["candidates"] == "image-field=repo"
    explicit = routeros_sim_factory(version="7.22", candidates={})
    assert "tag" in _add(client_for(explicit))


@pytest.mark.parametrize(
    "picked", [{"image-field": "image"}, {"colour": "red"}, {"flags": ""}], ids=str
)
def test_unknown_candidates_are_refused(picked: dict[str, str]) -> None:
    with pytest.raises(UsageError):
        Simulator(candidates=picked)


def test_cli_refuses_a_bad_candidate_in_one_line(run_cli: Callable[..., object]) -> None:
    code, _out, err = run_cli("sim", "--candidate", "image-field=image")  # type: ignore[misc]
    assert code == 2
    assert err.strip().count("\n") <= 1 and "image-field" in err and "tag, repo" in err


# --- independence ----------------------------------------------------------------------------
def test_the_simulator_loads_none_of_the_products_layers() -> None:
    """Serving /app/add and a container lifecycle loads no cli, compose, containers, images or
    chr module beyond what the package root itself imports (its public API): import-linter
    checks the static imports, this catches dynamic ones."""
    script = """
import sys, httpx
import mikrodock
before = set(sys.modules)
from mikrodock.sim import running
with running(delays={"extract": 0, "start": 0, "stop": 0}) as sim:
    with httpx.Client(base_url=sim.url + "/rest", auth=(sim.user, sim.password)) as rest:
        rest.put("/container", json={"remote-image": "nginx"}).raise_for_status()
        yaml = "name: demo\\nservices:\\n  web:\\n    image: nginx\\n    ports: ['8080:80']\\n"
        rest.put("/app", json={"yaml": yaml}).raise_for_status()
layers = {"cli", "compose", "containers", "images", "chr", "lab", "testing"}
new = [m.split(".") for m in set(sys.modules) - before]
print(sorted(".".join(m) for m in new if m[0] == "mikrodock" and m[1:2] and m[1] in layers))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
