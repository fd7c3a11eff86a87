"""The simulator speaks RouterOS REST, over real HTTP, for every supported version."""

from __future__ import annotations

import re

import httpx
import pytest

from mikrodock.sim import Simulator

VERSIONS = ["7.15", "7.19", "7.20", "7.21", "7.22", "7.23", "7.24"]
ID = re.compile(r"^\*[0-9A-F]+$")


def all_strings(value: object) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and all_strings(v) for k, v in value.items())
    if isinstance(value, list):
        return all(all_strings(v) for v in value)
    return isinstance(value, str)


@pytest.mark.parametrize("routeros_sim", VERSIONS, indirect=True)
def test_values_are_strings_ids_are_hex_and_singletons_are_objects(
    routeros_sim: Simulator, rest: httpx.Client
) -> None:
    veth = rest.put(
        "/interface/veth",
        json={"name": "veth1", "address": "10.0.0.2/24", "gateway": "10.0.0.1", "disabled": False},
    )
    assert veth.status_code in (200, 201)
    assert veth.json()["disabled"] == "false"  # a JSON boolean comes back as a string
    container = rest.put("/container", json={"remote-image": "nginx", "interface": "veth1"})
    assert container.status_code in (200, 201), container.text
    for menu in ("system/resource", "system/device-mode", "container/config", "system/identity"):
        body = rest.get(f"/{menu}").json()
        assert isinstance(body, dict), menu
        assert all_strings(body), menu
    for menu in ("interface/veth", "container", "system/package", "system/logging", "log"):
        body = rest.get(f"/{menu}").json()
        assert isinstance(body, list), menu
        assert all_strings(body), menu
        assert all(ID.match(item[".id"]) for item in body), menu
    resource = rest.get("/system/resource").json()
    assert resource["version"].startswith(routeros_sim.version)
    assert resource["board-name"] == "CHR"
    assert resource["architecture-name"] == "x86_64"


@pytest.mark.parametrize(("version", "status"), [("7.15", 200), ("7.19", 201), ("7.22", 201)])
def test_put_adds_and_answers_the_created_record(
    routeros_sim_factory: object, client_for: object, version: str, status: int
) -> None:
    sim = routeros_sim_factory(version=version)  # type: ignore[operator]
    rest = client_for(sim)  # type: ignore[operator]
    made = rest.put("/ip/address", json={"address": "192.168.88.1/24", "interface": "ether1"})
    assert made.status_code == status
    record = made.json()
    assert ID.match(record[".id"])
    assert record["network"] == "192.168.88.0"
    assert rest.get(f"/ip/address/{record['.id']}").json() == record


def test_patch_sets_and_answers_the_whole_record(rest: httpx.Client) -> None:
    made = rest.put("/interface/bridge", json={"name": "br-test", "comment": "mikrodock:x"}).json()
    changed = rest.patch(f"/interface/bridge/{made['.id']}", json={"comment": "mikrodock:y"})
    assert changed.status_code == 200
    assert changed.json() == {**made, "comment": "mikrodock:y"}


def test_delete_removes_with_an_empty_body(rest: httpx.Client) -> None:
    made = rest.put("/interface/bridge", json={"name": "br-gone"}).json()
    gone = rest.delete(f"/interface/bridge/{made['.id']}")
    assert gone.status_code == 204
    assert gone.content == b""
    assert rest.get(f"/interface/bridge/{made['.id']}").status_code == 404


def test_post_add_returns_ret_and_post_commands_work(rest: httpx.Client) -> None:
    answer = rest.post("/interface/bridge/add", json={"name": "br-post"}).json()
    assert ID.match(answer["ret"])
    assert rest.post("/interface/bridge/disable", json={"numbers": answer["ret"]}).json() == []
    assert rest.get(f"/interface/bridge/{answer['ret']}").json()["disabled"] == "true"
    assert rest.post("/interface/bridge/set", json={".id": "br-post", "comment": "c"}).json() == []
    assert rest.post("/interface/bridge/remove", json={"numbers": "br-post"}).json() == []
    assert rest.get("/interface/bridge").json() == []


def test_errors_have_routeros_bodies(routeros_sim: Simulator, rest: httpx.Client) -> None:
    missing = rest.get("/interface/veth/*FF")
    assert (missing.status_code, missing.json()) == (404, {"error": 404, "message": "Not Found"})
    unknown = rest.get("/no/such/menu")  # RouterOS names the first unknown word
    assert (unknown.status_code, unknown.json()["detail"]) == (
        400,
        "no such command or directory (no)",
    )
    unknown = rest.put("/interface/veth", json={"name": "v", "colour": "blue"})
    assert unknown.status_code == 400
    assert unknown.json() == {
        "error": 400,
        "message": "Bad Request",
        "detail": "unknown parameter colour",
    }
    duplicate = rest.put("/interface/veth", json={"name": "v"})
    assert duplicate.status_code in (200, 201)
    again = rest.put("/interface/veth", json={"name": "v"})
    assert again.json()["detail"] == "failure: already have interface with such name"
    clash = rest.put("/interface/bridge", json={"name": "v"})  # one namespace for interfaces
    assert clash.json()["detail"] == "failure: already have interface with such name"
    frob = rest.post("/interface/veth/frobnicate", json={}).json()["detail"]
    assert frob == "no such command or directory (frobnicate)"


def test_auth_is_required_except_for_the_webfig_page(routeros_sim: Simulator) -> None:
    assert httpx.get(f"{routeros_sim.url}/").status_code == 200
    denied = httpx.get(f"{routeros_sim.url}/rest/system/resource")
    assert denied.status_code == 401
    assert denied.json()["error"] == 401
    wrong = httpx.get(f"{routeros_sim.url}/rest/system/resource", auth=("admin", "nope"))
    assert wrong.status_code == 401
    for path in ("/sim/faults", "/sim/state"):
        assert httpx.get(f"{routeros_sim.url}{path}").status_code == 401


def test_print_honours_proplist_and_query(rest: httpx.Client) -> None:
    for name, comment in (("a", "x"), ("b", "y"), ("c", "x")):
        rest.put("/interface/bridge", json={"name": name, "comment": comment})
    rest.post("/interface/bridge/disable", json={"numbers": "c"})
    names = rest.get("/interface/bridge", params={".proplist": "name"}).json()
    assert names == [{"name": "a"}, {"name": "b"}, {"name": "c"}]
    first = rest.get("/interface/bridge").json()[0][".id"]
    one = rest.get(f"/interface/bridge/{first}", params={".proplist": "name,comment"})
    assert one.json() == {"name": "a", "comment": "x"}
    filtered = rest.get("/interface/bridge", params={"comment": "x", ".proplist": "name"})
    assert filtered.json() == [{"name": "a"}, {"name": "c"}]

    def query(*words: str) -> list[str]:
        body = {".proplist": ["name"], ".query": list(words)}
        return [i["name"] for i in rest.post("/interface/bridge/print", json=body).json()]

    assert query("comment=x") == ["a", "c"]
    assert query("comment=x", "disabled=false") == ["a"]
    assert query("name=a", "name=b", "#|") == ["a", "b"]
    assert query("name=a", "#!") == ["b", "c"]
    assert query("comment=x", "name=c", "#!", "#&") == ["a"]
    assert query("comment") == ["a", "b", "c"]
    assert query("-comment") == []
    assert query("name>a") == ["b", "c"]
    assert query("name<b") == ["a"]
    assert rest.post("/interface/bridge/print", json={".query": ["#|"]}).status_code == 400


def test_execute_runs_simple_scripts_and_reports_errors_in_ret(rest: httpx.Client) -> None:
    # Without as-string RouterOS runs the script as a job and answers its id.
    job = rest.post("/execute", json={"script": "/system identity set name=job"}).json()
    assert job["ret"].startswith("*")
    assert rest.get("/system/identity").json()["name"] == "job"
    assert rest.post("/execute", json={"as-string": "", "script": ':put "hello world"'}).json() == {
        "ret": "hello world"
    }
    assert rest.post("/execute", json={"as-string": "", "script": ":put 1; :put 2"}).json() == {
        "ret": "1\n2"
    }
    made = rest.post(
        "/execute", json={"as-string": "", "script": "/interface/bridge/add name=br-script"}
    )
    assert made.status_code == 200
    assert [b["name"] for b in rest.get("/interface/bridge").json()] == ["br-script"]
    failed = rest.post(
        "/execute", json={"as-string": "", "script": "/interface/bridge/add colour=red"}
    )
    assert failed.status_code == 200
    assert "unknown parameter colour" in failed.json()["ret"]
    script = "/system identity set name=lab\n:put [/system/identity/get name]"
    assert rest.post("/execute", json={"as-string": "", "script": script}).json() == {"ret": "lab"}
    got = rest.post(
        "/execute", json={"as-string": "", "script": ":put [/interface/bridge/get br-script name]"}
    )
    assert got.json() == {"ret": "br-script"}
    rest.post(
        "/execute",
        json={"as-string": "", "script": "/interface/bridge/disable [find where name=br-script]"},
    )
    assert rest.get("/interface/bridge").json()[0]["disabled"] == "true"
    rest.post("/execute", json={"as-string": "", "script": ':log info "from a script"'})
    assert "from a script" in [e["message"] for e in rest.get("/log").json()]


def test_singleton_set_through_post_and_patch(rest: httpx.Client) -> None:
    assert rest.post("/system/identity/set", json={"name": "lab1"}).json() == []
    assert rest.get("/system/identity").json() == {"name": "lab1"}
    assert rest.patch("/system/identity", json={"name": "lab2"}).json() == {"name": "lab2"}
    config = rest.post("/container/config/set", json={"registry-url": "https://ghcr.io"})
    assert config.status_code == 200
    assert rest.get("/container/config").json()["registry-url"] == "https://ghcr.io"
    assert rest.patch("/system/resource", json={"cpu": "x"}).status_code == 400


@pytest.mark.parametrize("arch", ["x86_64", "arm64", "arm"])
def test_resource_reports_the_chosen_architecture(
    routeros_sim_factory: object, client_for: object, arch: str
) -> None:
    sim = routeros_sim_factory(arch=arch)  # type: ignore[operator]
    resource = client_for(sim).get("/system/resource").json()  # type: ignore[operator]
    assert resource["architecture-name"] == arch
    for field in (
        "board-name",
        "cpu-count",
        "total-memory",
        "free-memory",
        "total-hdd-space",
        "free-hdd-space",
        "uptime",
        "version",
        "cpu",
        "platform",
    ):
        assert resource[field], field


def test_user_password_changes_take_effect_and_never_show(routeros_sim: Simulator) -> None:
    old = (routeros_sim.user, routeros_sim.password)
    with httpx.Client(base_url=f"{routeros_sim.url}/rest", auth=old) as rest:
        users = rest.get("/user").json()
        assert [u["name"] for u in users] == ["admin"]
        assert all("password" not in u and "_password" not in u for u in users)
        changed = rest.post("/user/set", json={"numbers": "admin", "password": "N3w-secret"})
        assert changed.status_code == 200
        assert rest.get("/system/identity").status_code == 401
    fresh = httpx.get(f"{routeros_sim.url}/rest/system/identity", auth=("admin", "N3w-secret"))
    assert fresh.status_code == 200


@pytest.mark.parametrize("version", VERSIONS)
def test_every_argument_is_accepted_exactly_on_the_versions_that_have_it(
    routeros_sim_factory: object, client_for: object, version: str
) -> None:
    from mikrodock.routeros.dialect import Dialect

    sim = routeros_sim_factory(version=version)  # type: ignore[operator]
    rest = client_for(sim)  # type: ignore[operator]
    dialect = Dialect.for_version(version)
    newest = Dialect.for_version("7.24")
    for menu in ("container", "container/envs", "container/mounts", "interface/veth"):
        every = newest.args(menu, "add") | dialect.args(menu, "add")
        for arg in sorted(every - {"copy-from"}):
            body = {"remote-image": "nginx", arg: "1"} if menu == "container" else {arg: "1"}
            detail = rest.put(f"/{menu}", json=body).json().get("detail", "")
            if dialect.has_arg(menu, "add", arg):
                assert detail != f"unknown parameter {arg}", (menu, arg)
            else:
                assert detail == f"unknown parameter {arg}", (menu, arg)


def test_interface_lists_ether1_bridges_and_veths(rest: httpx.Client) -> None:
    rest.put("/interface/veth", json={"name": "veth-a"})
    rest.put("/interface/bridge", json={"name": "br-a"})
    rows = rest.get("/interface", params={".proplist": "name,type"}).json()
    assert rows == [
        {"name": "ether1", "type": "ether"},
        {"name": "br-a", "type": "bridge"},
        {"name": "veth-a", "type": "veth"},
    ]


@pytest.mark.parametrize(
    "routeros_sim", [{"version": "7.21", "device_mode_locked": True, "arch": "arm"}], indirect=True
)
def test_the_fixture_takes_a_dict_of_options(routeros_sim: Simulator, rest: httpx.Client) -> None:
    assert routeros_sim.version == "7.21"
    assert rest.get("/system/device-mode").json()["container"] == "false"
    assert rest.get("/system/resource").json()["architecture-name"] == "arm"


def test_computed_lists_answer_single_items_too(rest: httpx.Client) -> None:
    packages = rest.get("/system/package").json()
    assert rest.get(f"/system/package/{packages[0]['.id']}").json() == packages[0]
    assert rest.get("/system/package/*99").status_code == 404
    assert rest.delete(f"/system/package/{packages[0]['.id']}").status_code == 404
