"""`compose up | ps | logs | down` against the simulator over real HTTP: containers mode on
7.21, /app mode on 7.22; idempotent up, a change applied, down removing only the project."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mikrodock.sim import Simulator, running

COMPOSE = """\
name: shop
services:
  web:
    image: nginx:1.27
    ports: ["8080:80", "5353:53/udp"]
    environment:
      GREETING: hello
    volumes: [data:/data, ./site:/site]
    depends_on: [db]
  db:
    image: postgres:16
    environment: [POSTGRES_PASSWORD=secret]
volumes:
  data: {}
"""


Compose = Any  # compose(sim, folder, *args) -> (code, out, err)


@pytest.fixture
def compose(run_cli: Any, monkeypatch: pytest.MonkeyPatch) -> Compose:
    """`mikrodock compose -f FOLDER/compose.yaml -H SIM ARGS...` in this process."""

    def run(sim: Simulator, folder: Path, *args: str) -> tuple[int, str, str]:
        monkeypatch.setenv("MIKRODOCK_PASSWORD", sim.password)
        return run_cli(
            "compose", "-f", str(folder / "compose.yaml"), "-H", sim.url, "--user", sim.user, *args
        )

    return run


@pytest.fixture(params=["7.21.5", "7.22.3"])
def sim(request: pytest.FixtureRequest) -> Iterator[Simulator]:
    with running(
        version=request.param, delays={"extract": 0.02, "start": 0.01, "stop": 0.01}
    ) as simulator:
        yield simulator


def rest(sim: Simulator, menu: str) -> list[dict[str, str]]:
    response = httpx.get(f"{sim.url}/rest/{menu}", auth=(sim.user, sim.password))
    response.raise_for_status()
    data: list[dict[str, str]] = response.json()
    return data


def snapshot(sim: Simulator) -> dict[str, list[dict[str, str]]]:
    menus = (
        "container",
        "interface/veth",
        "interface/bridge",
        "interface/bridge/port",
        "ip/address",
        "ip/firewall/nat",
        "app",
    )
    result = {}
    for menu in menus:
        records = rest(sim, menu)
        result[menu] = [
            {
                k: v
                for k, v in r.items()
                if k not in ("bytes", "packets", "running", "starting", "stopped")
            }
            for r in records
        ]
    return result


def test_up_ps_logs_down(compose: Compose, sim: Simulator, tmp_path: Path) -> None:
    app_mode = sim.version.startswith("7.22")
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    # a container that is not the project's: down must leave it alone
    with httpx.Client(base_url=f"{sim.url}/rest", auth=(sim.user, sim.password)) as http:
        http.put(
            "/interface/veth",
            json={"name": "veth-other", "address": "10.9.9.2/24", "gateway": "10.9.9.1"},
        ).raise_for_status()
        http.put(
            "/container",
            json={
                "remote-image": "alpine:3",
                "interface": "veth-other",
                "name": "other",
                "root-dir": "other",
            },
        ).raise_for_status()
    before = snapshot(sim)

    code, out, err = compose(sim, tmp_path, "up", "-d", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["mode"] == ("app" if app_mode else "containers")
    assert {c["action"] for c in result["changes"]} == {"created"}
    after_up = snapshot(sim)
    if app_mode:
        app = next(a for a in after_up["app"] if a["name"] == "shop")
        assert app["yaml"].startswith("# mikrodock:shop\n")
        assert app["containers"] == "db:none:postgres:16,web:none:nginx:1.27"
        assert app["firewall-redirects"] == "8080:80:tcp,5353:53:udp"
        assert app["required-mounts"] == "data,site"
        assert app["disabled"] == "false"
    else:
        names = [c.get("name") for c in after_up["container"]]
        assert names.index("shop-db") < names.index("shop-web")  # depends_on order
        nat = [r for r in after_up["ip/firewall/nat"] if r.get("comment") == "mikrodock:shop-web"]
        assert {(r["protocol"], r["dst-port"], r["to-ports"]) for r in nat} == {
            ("tcp", "8080", "80"),
            ("udp", "5353", "53"),
        }

    # up again on the same file: nothing changes
    code, out, _err = compose(sim, tmp_path, "up", "-d", "--json")
    assert code == 0
    assert {c["action"] for c in json.loads(out)["changes"]} == {"unchanged"}
    assert snapshot(sim) == after_up

    code, out, _err = compose(sim, tmp_path, "ps", "--json")
    rows = json.loads(out)
    assert code == 0 and sorted(r["service"] for r in rows) == ["db", "web"]

    # a changed file: only the changed service changes
    (tmp_path / "compose.yaml").write_text(COMPOSE.replace("hello", "bonjour"))
    code, out, _err = compose(sim, tmp_path, "up", "-d", "--json")
    changes = {c["name"]: c["action"] for c in json.loads(out)["changes"]}
    if app_mode:
        assert changes == {"shop": "updated"}
        app = next(a for a in rest(sim, "app") if a["name"] == "shop")
        assert "web:GREETING=bonjour" in app["environment"]
    else:
        assert changes == {
            "shop_default": "unchanged",
            "shop-db": "unchanged",
            "shop-web": "recreated",
        }
        db_before = next(c for c in after_up["container"] if c.get("name") == "shop-db")
        db_now = next(c for c in rest(sim, "container") if c.get("name") == "shop-db")
        assert db_now[".id"] == db_before[".id"]
        code, out, _err = compose(sim, tmp_path, "logs", "--json")
        assert code == 0 and {line["service"] for line in json.loads(out)} == {"db", "web"}

    code, out, err = compose(sim, tmp_path, "down")
    assert code == 0, err
    assert snapshot(sim) == before


def test_bad_file_changes_nothing(compose: Compose, sim: Simulator, tmp_path: Path) -> None:
    before = snapshot(sim)
    bad = {
        "unknown key": (COMPOSE.replace("    depends_on", "    depend_on"), 9),
        "bad port": (COMPOSE.replace('"8080:80"', '"80800:80"'), 5),
        "missing image": (COMPOSE.replace("    image: postgres:16\n", ""), 10),
        "unset variable": (COMPOSE.replace("hello", "${NOT_SET_ANYWHERE}"), 7),
    }
    for what, (text, line) in bad.items():
        (tmp_path / "compose.yaml").write_text(text)
        code, _out, err = compose(sim, tmp_path, "up", "-d")
        assert code == 2, what
        assert f"compose.yaml:{line}: " in err, (what, err)
    assert snapshot(sim) == before


def test_mode_app_needs_7_22(compose: Compose, tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    with running(version="7.21.5") as old:
        code, _out, err = compose(old, tmp_path, "up", "-d", "--mode", "app")
        assert code == 2
        assert "7.22" in err


@pytest.mark.anyio
async def test_follow_logs_sees_new_lines(tmp_path: Path) -> None:
    from mikrodock.compose.compose_file import load_compose_text
    from mikrodock.compose.project import compose_up, follow_project_logs
    from mikrodock.containers.router import AsyncRouter
    from mikrodock.routeros.client import AsyncRouterClient

    project = load_compose_text(COMPOSE, base_dir=tmp_path, environ={})
    with running(version="7.21.5", delays={"extract": 0.02, "start": 0.01, "stop": 0.01}) as sim:
        async with AsyncRouterClient(sim.url, sim.user, sim.password) as ros:
            await compose_up(ros, project, mode="containers", poll=0.02)
            lines = follow_project_logs(ros, project, poll=0.05)
            first = [await lines.__anext__() for _ in range(2)]
            assert sorted(service for service, _line in first) == ["db", "web"]
            await AsyncRouter(ros).restart("shop-web")
            service, _line = await lines.__anext__()
            assert service == "web"
            await lines.aclose()
