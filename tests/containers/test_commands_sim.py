"""The Docker commands end to end, through the CLI, against the simulator of every version."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mikrodock.routeros.dialect import Dialect
from mikrodock.sim import Delays, running

SIM_VERSIONS = [f"7.{minor}" for minor in range(15, 25)]
"""Every release line the simulator plays; the whole docker flow runs on each, over each
transport."""
FAST = Delays(extract=0.05, start=0.01, stop=0.02)


@pytest.fixture
def cli(run_cli: Any, transport: str, kit: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``cli(sim, "ps", "-a")``: mikrodock against ``sim`` over REST or the API protocol."""

    def run(sim: Any, *args: str) -> Any:
        monkeypatch.setenv("MIKRODOCK_PASSWORD", sim.password)
        words = 2 if args[0] in ("network", "system") else 1
        return run_cli(*args[:words], "-H", kit.router_url(sim, transport), *args[words:])

    return run


def _ps(cli: Any, sim: Any) -> dict[str, dict[str, Any]]:
    code, out, err = cli(sim, "ps", "-a", "--json")
    assert code == 0, err
    return {row["name"]: row for row in json.loads(out)}


@pytest.mark.parametrize("version", SIM_VERSIONS)
def test_docker_commands(version: str, cli: Any) -> None:
    dialect = Dialect.for_version(version)
    with running(version=version, delays=FAST) as sim:
        code, out, err = cli(
            sim,
            "run",
            "-d",
            "--name",
            "web",
            "-p",
            "8080:80",
            "-e",
            "A=1",
            "-v",
            "disk1/data:/data",
            "alpine",
            "echo",
            "hello",
        )
        assert code == 0, err
        assert out.strip() == "web"
        rows = _ps(cli, sim)
        assert rows["web"]["state"] == "running" and rows["web"]["managed"]
        assert rows["web"]["ports"] == ["8080->80/tcp"]
        assert "hello" in cli(sim, "logs", "web")[1].splitlines()
        code, out, _ = cli(sim, "logs", "--tail", "1", "-t", "web")
        assert out.strip().endswith("hello") and out.strip() != "hello"

        code, out, err = cli(sim, "exec", "web", "echo", "a b")
        if dialect.has_shell_cmd:
            assert (code, out) == (0, "a b\n"), err
            # the command's own exit status comes back (docker exec does the same)
            assert cli(sim, "exec", "web", "false")[:2] == (1, "")
            assert cli(sim, "exec", "web", "sh", "-c", "echo out; exit 3")[:2] == (3, "out\n")
            assert cli(sim, "exec", "web", "nosuch")[0] == 127
        else:
            assert code == 2 and "7.20" in err

        assert cli(sim, "stop", "web")[0] == 0
        assert _ps(cli, sim)["web"]["state"] == "stopped"
        assert cli(sim, "ps", "--json")[1].strip() == "[]"
        assert cli(sim, "start", "web")[0] == 0
        assert _ps(cli, sim)["web"]["state"] in ("starting", "running")
        assert cli(sim, "restart", "web")[0] == 0
        code, out, err = cli(sim, "kill", "web")
        if dialect.has_kill:
            assert code == 0, err
            assert _ps(cli, sim)["web"]["state"] == "stopped"
        else:
            assert code == 2 and "needs RouterOS" in err
            assert cli(sim, "stop", "web")[0] == 0
        code, out, err = cli(sim, "pull", "web")
        if dialect.has_repull:
            assert code == 0, err
        else:
            assert code == 2
        code, out, err = cli(sim, "stats", "--json", "web")
        assert code == 0 and json.loads(out)["name"] == "web", err
        code, out, err = cli(sim, "inspect", "web")
        data = json.loads(out)
        assert "interface/veth" in data["objects"] and data["summary"]["managed"]

        assert cli(sim, "start", "web")[0] == 0
        code, out, err = cli(sim, "rm", "web")
        assert code == 2 and "rm -f" in err
        code, out, err = cli(sim, "rm", "-f", "web")
        assert code == 0, err
        assert _ps(cli, sim) == {}
        code, out, err = cli(sim, "rm", "web")
        assert code == 2 and "no such container" in err


@pytest.mark.parametrize("version", ["7.19", "7.22"])
def test_networks_and_prune(version: str, cli: Any) -> None:
    with running(version=version, delays=FAST) as sim:
        code, out, err = cli(sim, "network", "create", "--subnet", "10.99.0.0/24", "lab")
        assert (code, out.strip()) == (0, "lab 10.99.0.0/24"), err
        code, out, err = cli(sim, "network", "create", "--json", "--subnet", "10.98.0.0/24", "l2")
        assert code == 0 and json.loads(out)["subnet"] == "10.98.0.0/24", err
        assert cli(sim, "network", "rm", "l2")[0] == 0
        code, out, err = cli(
            sim, "run", "-d", "--name", "db", "--network", "lab", "--ip", "10.99.0.7", "redis"
        )
        assert code == 0, err
        assert _ps(cli, sim)["db"]["address"] == "10.99.0.7"
        nets = json.loads(cli(sim, "network", "ls", "--json")[1])
        assert nets == [
            {"name": "lab", "subnet": "10.99.0.0/24", "gateway": "10.99.0.1", "containers": ["db"]}
        ]
        code, out, err = cli(sim, "network", "rm", "lab")
        assert code == 2 and "in use by db" in err
        assert cli(sim, "run", "-d", "--network", "nope", "redis")[0] == 2
        assert cli(sim, "rm", "-f", "db")[0] == 0
        assert cli(sim, "network", "rm", "lab")[0] == 0
        code, out, err = cli(sim, "system", "prune", "-f", "--json")
        assert code == 0, err
        assert all("logging" in line for line in json.loads(out))
        assert json.loads(cli(sim, "system", "prune", "-f", "--json")[1]) == []


@pytest.mark.parametrize("version", ["7.19", "7.23"])
def test_dry_run_against_a_router_changes_nothing(version: str, cli: Any) -> None:
    with running(version=version, delays=FAST) as sim:
        before = {m: sim.items(m) for m in ("container", "interface/veth", "ip/firewall/nat")}
        code, out, err = cli(sim, "run", "--dry-run", "-p", "8080:80", "--name", "w", "nginx")
        assert code == 0, err
        assert "/container add" in out and "/interface/veth add" in out
        code, out, err = cli(sim, "run", "--dry-run", "--format", "json", "--name", "w", "nginx")
        assert any(call["path"] == "/container" for call in json.loads(out))
        assert {m: sim.items(m) for m in before} == before


def test_foreground_run_with_rm_follows_output_then_removes(cli: Any) -> None:
    import threading
    import time

    with running(version="7.22", delays=FAST) as sim:
        result: dict[str, Any] = {}

        def foreground() -> None:
            result["answer"] = cli(
                sim, "run", "--rm", "--name", "once", "-p", "9000:9000", "alpine", "echo", "bye"
            )

        thread = threading.Thread(target=foreground)
        thread.start()
        deadline = time.monotonic() + 30
        while not any("once: bye" in line for line in sim.logs()):
            assert time.monotonic() < deadline, "the container never printed"
            time.sleep(0.05)
        item = next(i for i in sim.items("container") if i.get("name") == "once")
        import httpx

        httpx.post(
            f"{sim.url}/rest/container/stop",
            json={"numbers": item[".id"]},
            auth=(sim.user, sim.password),
        )  # the container's process exits
        thread.join(timeout=60)
        code, out, err = result["answer"]
        assert code == 0, err
        assert "bye" in out.splitlines()
        assert sim.items("container") == []
        assert not [r for r in sim.items("ip/firewall/nat") if r.get("comment") == "mikrodock:once"]


@pytest.mark.parametrize("version", ["7.19", "7.21"])
def test_hand_made_container_is_listed_but_never_removed(version: str, cli: Any) -> None:
    import httpx

    with running(version=version, delays=FAST) as sim:
        auth = (sim.user, sim.password)
        veth = {"name": "veth-mine", "address": "10.5.0.2/24", "gateway": "10.5.0.1"}
        assert httpx.put(f"{sim.url}/rest/interface/veth", json=veth, auth=auth).status_code < 300
        body = {
            "remote-image": "alpine",
            "interface": "veth-mine",
            "root-dir": "disk1/mine",
            "comment": "mikrodock: mine",
        }
        if Dialect.for_version(version).has_arg("container", "add", "name"):
            body["name"] = "mine"
        answer = httpx.put(f"{sim.url}/rest/container", json=body, auth=auth)
        assert answer.status_code in (200, 201), answer.text
        rows = _ps(cli, sim)
        (row,) = rows.values()
        assert row["managed"] is False
        code, out, err = cli(sim, "rm", "-f", row["name"])
        assert code == 2 and "not made by mikrodock" in err
        assert cli(sim, "pull", row["name"])[0] == 2
        assert len(sim.items("container")) == 1
        code, out, err = cli(sim, "system", "prune", "-f", "--json")
        assert code == 0 and json.loads(out) == []
        assert len(sim.items("container")) == 1


@pytest.mark.parametrize("version", ["7.15", "7.24"])
def test_docker_commands_over_api_ssl_with_a_pinned_certificate(
    version: str, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """api-ssl:// (8729), as routers that keep only the API over TLS are reached: the pinned
    self-signed certificate, then the same commands as over REST."""
    with running(version=version, delays=FAST, tls=True) as sim:
        assert sim.api_ssl_url is not None and sim.fingerprint is not None
        monkeypatch.setenv("MIKRODOCK_PASSWORD", sim.password)
        pin = ("-H", sim.api_ssl_url, "--tls-pin", "--tls-pin-fingerprint", sim.fingerprint)
        code, out, err = run_cli(
            *pin, "run", "-d", "--name", "web", "-p", "8080:80", "-e", "A=1",
            "-v", "disk1/data:/data", "alpine", "echo", "hello",
        )  # fmt: skip
        assert (code, out.strip()) == (0, "web"), err
        code, out, err = run_cli(*pin, "ps", "-a", "--json")
        (row,) = json.loads(out)
        assert row["state"] == "running" and row["ports"] == ["8080->80/tcp"], err
        assert "hello" in run_cli(*pin, "logs", "web")[1].splitlines()
        if Dialect.for_version(version).has_shell_cmd:
            assert run_cli(*pin, "exec", "web", "echo", "a b")[:2] == (0, "a b\n")
        assert run_cli(*pin, "rm", "-f", "web")[0] == 0
        assert json.loads(run_cli(*pin, "ps", "-a", "--json")[1]) == []
        assert "API /login" in sim.requests() and not any(
            request.startswith(("GET", "POST", "PUT")) for request in sim.requests()
        )  # all of it went over the API protocol
