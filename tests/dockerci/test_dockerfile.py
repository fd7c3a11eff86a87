"""The Docker build context of `mikrodock chr dockerfile`: what docker would read from it."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from mikrodock.chr.docker.dockerfile import (
    CONTAINER_PORTS,
    MANAGEMENT_PORTS,
    STATE_VOLUME,
    DockerImageSpec,
    render_context,
    write_context,
)
from mikrodock.errors import UsageError


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) as docker reads them: comments dropped, `\\` joins lines."""
    found: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        word, _, rest = line.partition(" ")
        found.append((word.upper(), rest.strip()))
    assert not pending, "a continuation line runs off the end"
    return found


def one(found: list[tuple[str, str]], word: str) -> str:
    values = [args for name, args in found if name == word]
    assert len(values) == 1, f"{word}: {values}"
    return values[0]


def test_dockerfile_instructions_are_what_docker_needs() -> None:
    files = render_context(DockerImageSpec("7.22.3"))
    found = instructions(files["Dockerfile"])
    assert found[0][0] == "FROM" and "python:3.11" in found[0][1]
    exposed = set(one(found, "EXPOSE").split())
    expected = {str(p) if proto == "tcp" else f"{p}/{proto}" for p, proto in CONTAINER_PORTS}
    assert exposed == expected
    for port in (22, 23, 80, 443, 8291, 8728, 8729, 1723):
        assert str(port) in exposed
    for port in ("1194/udp", "1701/udp", "13231/udp", "500/udp", "4500/udp", "1194"):
        assert port in exposed
    assert one(found, "STOPSIGNAL") == "SIGTERM"
    assert json.loads(one(found, "ENTRYPOINT")) == ["/usr/local/bin/mikrodock-entrypoint"]
    health = one(found, "HEALTHCHECK")
    options, _, command = health.partition(" CMD ")
    assert "--start-period=" in options and "--interval=" in options
    assert json.loads(command) == ["mikrodock", "chr", "health"]
    assert json.loads(one(found, "VOLUME")) == [STATE_VOLUME]
    runs = [args for name, args in found if name == "RUN"]
    assert any("qemu-system-x86" in r and "qemu-utils" in r for r in runs)
    assert any(r == "mikrodock chr pull 7.22.3 --arch x86_64" for r in runs)
    env = one(found, "ENV")
    assert "MIKRODOCK_HOME=/var/lib/mikrodock" in env
    assert STATE_VOLUME.startswith("/var/lib/mikrodock/")


def test_aarch64_installs_arm_qemu_and_edk2() -> None:
    files = render_context(DockerImageSpec("7.22.3", arch="aarch64"))
    runs = [args for name, args in instructions(files["Dockerfile"]) if name == "RUN"]
    assert any("qemu-system-arm" in r and "qemu-efi-aarch64" in r for r in runs)
    assert "--arch aarch64" in files["entrypoint.sh"]


def test_entrypoint_execs_serve_so_sigterm_reaches_mikrodock(tmp_path: Path) -> None:
    """The shell script must exec (not fork) `mikrodock chr serve`, passing extra flags on."""
    files = render_context(DockerImageSpec("7.22.3", memory="512M", cpus=2))
    script = tmp_path / "entrypoint.sh"
    script.write_text(files["entrypoint.sh"])
    script.chmod(0o755)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    recorder = bindir / "mikrodock"
    recorder.write_text('#!/bin/sh\necho "pid=$$"\nfor a in "$@"; do echo "arg=$a"; done\n')
    recorder.chmod(0o755)
    env = {"PATH": f"{bindir}:/usr/bin:/bin", "CHR_MEMORY": "512M", "CHR_CPUS": "2"}
    done = subprocess.run(
        ["/bin/sh", "-c", f'echo "shell=$$"; exec {script} --accel tcg'],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    lines = done.stdout.splitlines()
    assert lines[0].split("=")[1] == lines[1].split("=")[1], "serve must replace the shell"
    args = [line[4:] for line in lines if line.startswith("arg=")]
    assert args[:3] == ["chr", "serve", "7.22.3"]
    assert args[args.index("--memory") + 1] == "512M"
    assert args[args.index("--cpus") + 1] == "2"
    assert args[args.index("--ports") + 1] == "container"
    assert "--console" in args  # `docker logs` shows the router's console
    assert args[-2:] == ["--accel", "tcg"]
    other = subprocess.run(
        [str(script), "echo", "hello"], capture_output=True, text=True, env=env, check=True
    )
    assert other.stdout.strip() == "hello"


def test_local_image_and_wheel_are_copied_and_not_ignored(tmp_path: Path) -> None:
    image = tmp_path / "chr-7.22.3.img.zip"
    image.write_bytes(b"zip")
    wheel = tmp_path / "mikrodock-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"wheel")
    out = tmp_path / "ctx"
    spec = DockerImageSpec("local", image_file=image, wheel=wheel)
    write_context(spec, out)
    assert (out / "chr-image.img.zip").read_bytes() == b"zip"
    assert (out / wheel.name).read_bytes() == b"wheel"
    found = instructions((out / "Dockerfile").read_text())
    copies = [args for name, args in found if name == "COPY"]
    assert f"{wheel.name} /tmp/" in copies
    assert "chr-image.img.zip /var/lib/mikrodock/chr-image.img.zip" in copies
    assert not any("chr pull" in args for name, args in found if name == "RUN")
    ignore = (out / ".dockerignore").read_text().splitlines()
    assert "*" in ignore and f"!{wheel.name}" in ignore and "!chr-image.img.zip" in ignore
    assert "--image /var/lib/mikrodock/chr-image.img.zip" in (out / "entrypoint.sh").read_text()
    assert stat.S_IMODE((out / "entrypoint.sh").stat().st_mode) == 0o755


def test_compose_file_publishes_ports_keeps_a_volume_and_a_secret(tmp_path: Path) -> None:
    out = tmp_path / "ctx"
    write_context(DockerImageSpec("7.22.3"), out, compose=True)
    document = YAML(typ="safe").load((out / "docker-compose.yml").read_text())
    service = document["services"]["router"]
    published = {p.rsplit(":", 1)[-1] for p in service["ports"]}
    for port, proto in CONTAINER_PORTS:
        assert (f"{port}/{proto}" if port not in MANAGEMENT_PORTS else str(port)) in published
    assert all(p.startswith("127.0.0.1:") for p in service["ports"] if "/" not in p)
    assert f"routeros-data:{STATE_VOLUME}" in service["volumes"]
    assert "routeros-data" in document["volumes"]
    secret = document["secrets"]["routeros_admin_password"]["file"]
    assert (out / secret).is_file()
    assert stat.S_IMODE((out / secret).stat().st_mode) == 0o600
    assert (out / "startup.rsc").is_file()
    assert service["environment"]["MIKRODOCK_ADMIN_PASSWORD_FILE"].startswith("/run/secrets/")
    grace = int(service["stop_grace_period"].rstrip("s"))
    assert grace > 50  # longer than the router's ACPI power-down timeout


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not installed")
def test_compose_file_passes_docker_compose_config(tmp_path: Path) -> None:
    out = tmp_path / "ctx"
    write_context(DockerImageSpec("7.22.3"), out, compose=True)
    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent.sock"}
    done = subprocess.run(
        ["docker-compose", "-f", str(out / "docker-compose.yml"), "config", "--quiet"],
        capture_output=True, text=True, cwd=out, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_companion_files_are_never_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "ctx"
    out.mkdir()
    (out / "admin_password.txt").write_text("mine\n")
    (out / "startup.rsc").write_text("/system identity set name=r1\n")
    write_context(DockerImageSpec("7.22.3"), out, compose=True)
    assert (out / "admin_password.txt").read_text() == "mine\n"
    assert (out / "startup.rsc").read_text() == "/system identity set name=r1\n"


@pytest.mark.parametrize(
    "kwargs",
    [{"arch": "mips"}, {"cpus": 0}, {"version": "7.22 3"}, {"version": "$(x)"},
     {"snapshot": True, "arch": "aarch64"}, {"snapshot": True, "snapshot_nics": 9},
     {"snapshot_nics": 1}],
)  # fmt: skip
def test_bad_specs_are_usage_errors(kwargs: dict[str, object]) -> None:
    values: dict[str, object] = {"version": "7.22.3", **kwargs}
    with pytest.raises(UsageError):
        DockerImageSpec(**values)  # type: ignore[arg-type]


def test_missing_local_image_is_a_usage_error_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "ctx"
    with pytest.raises(UsageError, match="no such file"):
        write_context(DockerImageSpec("x", image_file=tmp_path / "nope.img"), out)
    assert not out.exists()


def test_cli_writes_the_context_and_prints_the_build_command(
    tmp_path: Path, cli: Callable[..., Any]
) -> None:
    out = tmp_path / "ctx"
    result = cli("chr", "dockerfile", "7.22.3", "-o", str(out), "--compose", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["tag"] == "mikrodock-chr:7.22.3"
    assert {Path(p).name for p in data["files"]} >= {
        "Dockerfile", "entrypoint.sh", ".dockerignore", "README.md", "docker-compose.yml"
    }  # fmt: skip
    text = cli("chr", "dockerfile", "7.22.3", "-o", str(tmp_path / "two"))
    assert "docker build -t mikrodock-chr:7.22.3" in text.output


def test_cli_bad_version_is_one_line_exit_2(tmp_path: Path, cli: Callable[..., Any]) -> None:
    result = cli("chr", "dockerfile", "seven", "-o", str(tmp_path / "ctx"))
    assert result.exit_code == 2
    assert "unknown RouterOS version" in result.err and len(result.err.splitlines()) == 1
    assert not (tmp_path / "ctx").exists()


def test_a_snapshot_image_bakes_the_booted_router_in_and_says_so(tmp_path: Path) -> None:
    spec = DockerImageSpec("7.22.3", snapshot=True, snapshot_nics=2, memory="512M")
    write_context(spec, tmp_path / "ctx")
    dockerfile = (tmp_path / "ctx" / "Dockerfile").read_text()
    bake = next(line for line in dockerfile.splitlines() if "--bake" in line)
    # the bake runs under TCG with the machine every container asks for by default
    assert "--accel tcg" in bake and "--memory 512M" in bake and "--bake-nics 2" in bake
    assert "ENV MIKRODOCK_SNAPSHOT=" in dockerfile
    assert "## Memory snapshot" in (tmp_path / "ctx" / "README.md").read_text()
    cold = DockerImageSpec("7.22.3", memory="512M")
    write_context(cold, tmp_path / "cold")
    assert "--bake" not in (tmp_path / "cold" / "Dockerfile").read_text()
    assert "Memory snapshot" not in (tmp_path / "cold" / "README.md").read_text()
