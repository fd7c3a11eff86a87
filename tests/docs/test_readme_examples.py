"""The README's router examples work as written, against a simulated router.

The README shows commands without a router named (they use the current context) or with the
example address 192.168.88.1. Here every line of the ``sh`` blocks under the headings below runs
in bash, in order, with ``MIKRODOCK_HOST`` pointing at a simulator and the example addresses
replaced by the simulator's REST and API URLs; ``logs -f`` runs for a few seconds and is then
stopped with SIGTERM, as a user presses Ctrl-C. Lines that need a terminal (a password prompt,
a fingerprint to confirm) or the internet (a registry, MikroTik's download server) are left out,
and so are the CHR examples, which the tests of ``tests/chr`` run on the test guest; every
other line must exit 0.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mikrodock.sim import running

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
SECTIONS = (
    "Containers on a router (the Docker commands)",
    "Compose files and /app",
    "Talk to a router",
)
NEEDS_A_TERMINAL = ("--tls-pin",)  # asks for the password and to trust the fingerprint
COMPOSE = "services:\n  web:\n    image: nginx:1.27\n    ports: ['8081:80']\n"


def section_commands(text: str, heading: str) -> list[str]:
    """The command lines of the ``sh`` blocks under ``### heading``, comments removed."""
    match = re.search(rf"^### {re.escape(heading)}\n(.*?)(?=^#{{2,3}} )", text, re.S | re.M)
    assert match, f"README has no section '### {heading}'"
    commands: list[str] = []
    for block in re.findall(r"^```sh\n(.*?)^```", match.group(1), re.S | re.M):
        for line in block.splitlines():
            command = re.sub(r"\s+#.*$", "", line).strip()
            if command and not command.startswith("#"):
                commands.append(command)
    return commands


def _example_commands() -> list[str]:
    text = README.read_text()
    return [c for heading in SECTIONS for c in section_commands(text, heading)]


def test_the_sections_hold_examples() -> None:
    commands = _example_commands()
    assert any(c.startswith("mikrodock run -d") for c in commands)
    assert any("compose" in c for c in commands)
    assert any("api://" in c for c in commands)


def test_readme_router_examples_run_against_a_simulator(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    (tmp_path / "docker-compose.yml").write_text(COMPOSE)
    shim = tmp_path / "bin" / "mikrodock"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m mikrodock "$@"\n')
    shim.chmod(0o755)
    with running(version="7.22.3") as sim:
        env = {
            **os.environ,
            "PATH": f"{shim.parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "MIKRODOCK_HOME": str(tmp_path / "home"),
            "MIKRODOCK_HOST": sim.url,
            "MIKRODOCK_PASSWORD": sim.password,
            "NO_COLOR": "1",
        }
        env.pop("MIKRODOCK_CONTEXT", None)
        ran = 0
        for command in _example_commands():
            if any(word in command for word in NEEDS_A_TERMINAL):
                continue
            line = command.replace("https://192.168.88.1", sim.url)
            line = line.replace("http://192.168.88.1", sim.url)
            line = line.replace("http://127.0.0.1:8080", sim.url)
            line = re.sub(r"api(-ssl)?://192\.168\.88\.1", sim.api_url, line)
            follows = " -f " in f" {line} "
            if follows:
                line = f"timeout -s TERM 4 {line}"
            done = subprocess.run(
                ["bash", "-e", "-o", "pipefail", "-c", line],
                cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            allowed = (0, 124, 143) if follows else (0,)
            assert done.returncode in allowed, (
                f"README: `{command}` exited {done.returncode}:\n{done.stdout}{done.stderr}"
            )
            ran += 1
        assert ran >= 15, f"only {ran} README examples ran"


@pytest.mark.parametrize("heading", SECTIONS)
def test_section_parser_strips_comments(heading: str) -> None:
    for command in section_commands(README.read_text(), heading):
        assert "#" not in command.split("'")[0], command
