"""The composite GitHub action's shell steps, run here as a runner would run them: start two
routers from the test guest (boot once, snapshot, clone), run a test command, clean up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from mikrodock.testing.guest import guest_image

REPO = Path(__file__).resolve().parents[2]
ACTION = REPO / ".github" / "actions" / "mikrodock-chr" / "action.yml"
ENTRY = "import sys\nfrom mikrodock.cli import main\nmain.main(sys.argv[1:])\n"


def _steps() -> dict[str, dict[str, Any]]:
    action = YAML(typ="safe", pure=True).load(ACTION.read_text())
    return {step["name"]: step for step in action["runs"]["steps"]}


def _run(step: dict[str, Any], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    assert "${{" not in step["run"], "expressions belong in env:, not in the script"
    return subprocess.run(
        ["bash", "-e", "-c", step["run"]], env=env, capture_output=True, text=True, timeout=900
    )


@pytest.mark.qemu
@pytest.mark.slow
def test_start_and_test_steps(tmp_path: Path, persistent_cache: Path) -> None:
    shim_dir = tmp_path / "bin"
    shim_dir.mkdir()
    shim = shim_dir / "mikrodock"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -c \'{ENTRY}\' "$@"\n')
    shim.chmod(0o755)
    outputs = tmp_path / "github_output"
    outputs.touch()
    env = {
        **os.environ,
        "PATH": f"{shim_dir}:{os.environ['PATH']}",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(outputs),
        "CHR_VERSION": "stable",
        "CHR_IMAGE": str(guest_image(cache=persistent_cache / "test-guest")),
        "CHR_ROUTERS": "r1 r2",
        "CHR_MEMORY": "256M",
        "CHR_ACCEL": "tcg",
    }
    steps = _steps()
    started = _run(steps["Start the routers"], env)
    assert started.returncode == 0, started.stderr[-3000:]
    values = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    assert values["url"].startswith("http://127.0.0.1:")
    password = Path(values["password-file"]).read_text().strip()
    assert password
    assert "r1" in started.stdout and "r2" in started.stdout  # chr ls at the end

    check = (
        'test "$(mikrodock chr exec r2 \':put "from r2"\')" = "from r2" && '
        'curl -sf -u "admin:$(cat "$ROUTER_PASSWORD_FILE")" "$ROUTER_URL/rest/system/resource"'
    )
    test_env = {**env, "ROUTER_URL": values["url"], "ROUTER_PASSWORD_FILE": values["password-file"],
                "TEST_COMMAND": check}  # fmt: skip
    tested = _run(steps["Run the tests"], test_env)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "board-name" in tested.stdout
    machines = Path(env["MIKRODOCK_HOME"]) / "state" / "machines"
    assert not any(machines.iterdir()), "the routers are removed after the tests"

    # the next start clones the saved snapshot instead of booting and saving again
    saved = list((Path(env["MIKRODOCK_HOME"]) / "state" / "snapshots").glob("ci-image-*/ready"))
    assert len(saved) == 1
    stamp = {p.name: p.stat().st_mtime_ns for p in saved[0].iterdir()}
    again = _run(steps["Start the routers"], {**env, "CHR_ROUTERS": "r3"})
    assert again.returncode == 0, again.stderr[-3000:]
    assert {p.name: p.stat().st_mtime_ns for p in saved[0].iterdir()} == stamp
    # a failing test command fails the step, and the routers are still removed
    failed = _run(steps["Run the tests"], {**test_env, "CHR_ROUTERS": "r3",
                                           "TEST_COMMAND": "exit 3"})  # fmt: skip
    assert failed.returncode == 3
    assert not any(machines.iterdir())
