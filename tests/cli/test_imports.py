"""`mikrodock --version` and `--help` answer without loading what they do not use.

Like click's own tests/test_imports.py: a fresh interpreter runs the command and lists
sys.modules; the HTTP client, QEMU, YAML, rich and (for --version) typer must not be there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

HEAVY = ("httpx", "httpcore", "anyio", "rich", "ruamel", "qemu", "jsonschema", "cryptography")
HEAVY += ("starlette", "uvicorn", "asyncio", "pydantic")

PROBE = """
import contextlib, io, json, sys
from mikrodock.cli.main import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main(sys.argv[1:])
    except SystemExit:
        pass
print(json.dumps(sorted({n.split(".")[0] for n, m in sys.modules.items() if m is not None})))
"""


def _loaded(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "MIKRODOCK_PASSWORD": ""},
        check=True,
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_version_loads_neither_typer_nor_the_commands() -> None:
    loaded = _loaded("--version")
    assert not loaded.intersection((*HEAVY, "typer", "click")), loaded


@pytest.mark.parametrize(
    "args", [("--help",), ("run", "--help"), ("create", "--help"), ("ps", "--help")]
)
def test_help_loads_no_http_qemu_yaml_or_rich(args: tuple[str, ...]) -> None:
    loaded = _loaded(*args)
    assert not loaded.intersection(HEAVY), loaded.intersection(HEAVY)


def test_root_help_loads_no_command_module() -> None:
    probe = PROBE.replace('n.split(".")[0] for', "n for")
    done = subprocess.run(
        [sys.executable, "-c", probe, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    modules = set(json.loads(done.stdout.splitlines()[-1]))
    commands = {m for m in modules if m.startswith("mikrodock.cli.")}
    assert commands <= {
        "mikrodock.cli.main",
        "mikrodock.cli.root",
        "mikrodock.cli.router_flags",
        "mikrodock.cli.signals",
        "mikrodock.cli._click",
    }, commands


def test_ps_loads_no_deploy_code_api_client_or_pin_file(routeros_sim: Any) -> None:
    """``ps`` reads the router: no planner, no deploy steps, no API-protocol client, no file
    locking for TLS pins (a plain http:// router), and httpcore without httpx's client layer
    (about 60 ms of start-up)."""
    probe = PROBE.replace('n.split(".")[0] for', "n for")
    url = routeros_sim.url
    done = subprocess.run(
        [sys.executable, "-c", probe, "-H", url, "ps", "-a"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "MIKRODOCK_PASSWORD": routeros_sim.password},
        check=True,
    )
    modules = set(json.loads(done.stdout.splitlines()[-1]))
    unwanted = {
        "mikrodock.containers.apply",
        "mikrodock.containers.plan",
        "mikrodock.containers.spec",
        "mikrodock.containers.housekeeping",
        "mikrodock.routeros.api_client",
        "filelock",
        "httpx",
    }
    assert not modules & unwanted, modules & unwanted


def test_chr_health_the_image_healthcheck_loads_no_http_client_or_qemu() -> None:
    """The container's HEALTHCHECK runs every few seconds for the container's life."""
    loaded = _loaded("chr", "health", "--name", "absent")
    assert not loaded.intersection(("httpx", "httpcore", "anyio", "qemu", "asyncio")), loaded
