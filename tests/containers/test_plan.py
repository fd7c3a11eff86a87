"""The planner and its renderings: what `run` would do to a router, decided without one."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mikrodock.cli.main import main
from mikrodock.containers import flags
from mikrodock.containers.plan import plan_run
from mikrodock.containers.render import quote, to_json, to_script
from mikrodock.containers.spec import ContainerSpec, EnvVar
from mikrodock.containers.state import RouterState
from mikrodock.errors import PlanError, UsageError


def _spec(**changes: object) -> ContainerSpec:
    base: dict[str, object] = {
        "name": "web",
        "image": "nginx",
        "ports": (flags.parse_port("8080:80"),),
    }
    base.update(changes)
    return ContainerSpec(**base)  # type: ignore[arg-type]


def test_subnet_avoids_every_router_address() -> None:
    state = RouterState.empty("7.22", "x86_64").with_objects(
        addresses=(
            {".id": "*1", "address": "172.17.0.1/16", "interface": "ether2"},
            {".id": "*2", "address": "172.18.0.5/24", "interface": "ether3"},
        )
    )
    plan = plan_run(_spec(), state)
    assert plan.facts["subnet"] == "172.18.1.0/24"
    assert plan.facts["address"] == "172.18.1.2"


def test_existing_network_is_reused_and_addresses_are_not_taken_twice() -> None:
    tag = "mikrodock:net:mikrodock"
    state = RouterState.empty("7.22", "x86_64").with_objects(
        bridges=({".id": "*1", "name": "mikrodock", "comment": tag},),
        addresses=(
            {".id": "*2", "address": "172.20.0.1/24", "interface": "mikrodock", "comment": tag},
        ),
        veths=({".id": "*3", "name": "veth-old", "address": "172.20.0.2/24"},),
    )
    plan = plan_run(_spec(), state)
    menus = [s.menu for s in plan.steps]
    assert "interface/bridge" not in menus and "ip/address" not in menus
    assert plan.facts["address"] == "172.20.0.3"


def test_hand_made_bridge_with_the_network_name_is_never_taken_over() -> None:
    state = RouterState.empty("7.22", "x86_64").with_objects(
        bridges=({".id": "*1", "name": "mikrodock"},)
    )
    with pytest.raises(PlanError, match="did not make it"):
        plan_run(_spec(), state)


def test_existing_container_name_is_refused() -> None:
    state = RouterState.empty("7.22", "x86_64").with_objects(
        containers=({".id": "*1", "name": "web"},)
    )
    with pytest.raises(UsageError, match="already exists"):
        plan_run(_spec(), state)


def test_ghcr_sets_registry_url_and_unprefixed_name_with_restore() -> None:
    state = RouterState.empty("7.22", "x86_64").with_objects(
        config={"registry-url": "https://registry-1.docker.io", "tmpdir": ""}
    )
    plan = plan_run(_spec(image="ghcr.io/owner/app:2"), state)
    config = next(s for s in plan.steps if s.menu == "container/config")
    assert config.body == {"registry-url": "https://ghcr.io"}
    assert config.undo is not None
    assert config.undo.body == {"registry-url": "https://registry-1.docker.io"}
    container = next(s for s in plan.steps if s.menu == "container")
    assert container.body["remote-image"] == "owner/app:2"


def test_env_inline_on_721_and_named_list_before() -> None:
    spec = _spec(env=(EnvVar("A", "1"), EnvVar("B", "two")))
    new = plan_run(spec, RouterState.empty("7.21", "x86_64"))
    assert next(s for s in new.steps if s.menu == "container").body["env"] == "A=1,B=two"
    old = plan_run(spec, RouterState.empty("7.19", "x86_64"))
    envs = [s for s in old.steps if s.menu == "container/envs"]
    assert [s.body["name"] for s in envs] == ["web-env", "web-env"]
    assert next(s for s in old.steps if s.menu == "container").body["envlist"] == "web-env"


def test_env_list_name_avoids_hand_made_lists() -> None:
    state = RouterState.empty("7.20", "x86_64").with_objects(
        envs=({".id": "*1", "list": "web-env", "key": "X", "value": "1"},)
    )
    plan = plan_run(_spec(env=(EnvVar("A", "1"),)), state)
    assert next(s for s in plan.steps if s.menu == "container/envs").body["list"] == "web-env2"


def test_every_created_object_carries_the_tag() -> None:
    plan = plan_run(
        _spec(env=(EnvVar("A", "x,y"),), mounts=(flags.parse_volume("d/a:/a"),)),
        RouterState.empty("7.23", "x86_64"),
    )
    for step in plan.steps:
        if step.action == "add":
            assert (
                step.body.get("comment", "").startswith("mikrodock:")
                or step.body.get("prefix") == "mikrodock"
            )


def test_script_quoting() -> None:
    assert quote("abc") == "abc"
    assert quote('a "b" $c?') == '"a \\"b\\" \\$c\\?"'
    assert quote("") == '""'


def test_json_has_rest_paths_and_bodies() -> None:
    plan = plan_run(_spec(), RouterState.empty("7.22", "x86_64"))
    calls = json.loads(to_json([plan]))
    assert calls[0] == {
        "method": "PUT",
        "path": "/interface/bridge",
        "body": {"name": "mikrodock", "comment": "mikrodock:net:mikrodock"},
    }
    assert calls[-1]["path"] == "/container/start"
    assert calls[-1]["body"] == {"numbers": "{.id of container}"}
    assert "/container add" in to_script([plan])


def _main_ok(argv: list[str]) -> None:
    try:
        main(argv)
    except SystemExit as done:
        assert done.code in (0, None)


def test_cli_dry_run_offline(capsys: pytest.CaptureFixture[str]) -> None:
    argv = "run --dry-run --router-version 7.21.2 --arch arm64 -d --name db -p 5432:5432"
    argv += " -e POSTGRES_PASSWORD=x -v disk1/pg:/var/lib/postgresql/data --restart always"
    argv += " -m 512m --format json postgres:16"
    _main_ok(argv.split())
    calls = json.loads(capsys.readouterr().out)
    container = next(c for c in calls if c["path"] == "/container")
    assert container["body"]["memory-high"] == str(512 << 20)
    assert container["body"]["remote-image"] == "postgres:16"


@pytest.mark.parametrize(
    "args,message",
    [
        (["-it", "alpine"], "-i has no RouterOS counterpart"),
        (["--cap-add", "NET_ADMIN", "alpine"], "--cap-add has no RouterOS counterpart"),
        (["--memory", "1g", "alpine"], "needs RouterOS 7.20"),
        (["alpine", "sh", "-c", "echo hi"], "RouterOS splits the command"),
    ],
)
def test_cli_refusals_exit_2_naming_the_reason(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["run", "--dry-run", "--router-version", "7.19", "--arch", "x86_64", *args])
    assert done.value.code == 2
    assert message in capsys.readouterr().err


def test_registry_login_only_on_request_and_never_printed(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import base64

    config = tmp_path / "config.json"
    token = base64.b64encode(b"octo:s3cret-token").decode()
    config.write_text(json.dumps({"auths": {"ghcr.io": {"auth": token}}}))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    base = ["run", "--dry-run", "--router-version", "7.22", "--arch", "x86_64", "--format", "json"]
    _main_ok([*base, "ghcr.io/octo/app:1"])
    assert "octo" not in json.dumps(
        [c for c in json.loads(capsys.readouterr().out) if c["path"] == "/container/config/set"]
    )
    _main_ok([*base, "--registry-auth", "ghcr.io/octo/app:1"])
    out = capsys.readouterr().out
    assert "s3cret" not in out
    config_set = next(c for c in json.loads(out) if c["path"] == "/container/config/set")
    assert config_set["body"]["username"] == "octo"
    assert config_set["body"]["password"] == "********"
    with pytest.raises(SystemExit) as done:
        main([*base, "--registry-auth", "quay.io/x/y"])
    assert done.value.code == 2
    assert "no credentials for quay.io" in capsys.readouterr().err
