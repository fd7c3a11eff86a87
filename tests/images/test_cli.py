"""``mikrodock image save`` / ``image inspect`` as users run them: output, errors, exit codes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .registries import write_login


def test_save_from_registry_then_inspect(
    registry: str, docker_config: Path, tmp_path: Path, run_cli: Any
) -> None:
    out = tmp_path / "app.tar"
    code, stdout, err = run_cli(
        "image",
        "save",
        f"{registry}/test/layers:v1",
        "--arch",
        "x86_64",
        "-o",
        str(out),
        "--json",
    )
    assert code == 0, err
    result = json.loads(stdout)
    assert result["path"] == str(out) and result["platform"] == "linux/amd64"
    code, stdout, _ = run_cli("image", "inspect", str(out), "--json")
    assert code == 0 and json.loads(stdout)["accepted"] is True
    code, stdout, _ = run_cli("image", "inspect", str(out))
    assert code == 0 and "RouterOS can import it" in stdout


def test_inspect_refusal_says_how_to_fix(oci_store: Path, run_cli: Any) -> None:
    code, stdout, _ = run_cli("image", "inspect", str(oci_store))
    assert code == 1
    assert "RouterOS will refuse it" in stdout and "mikrodock image save --from-archive" in stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["image", "save", "nginx", "-o", "x.tar"], "which architecture"),
        (["image", "save", "nginx", "--arch", "mipsbe", "-o", "x.tar"], "cannot run containers"),
        (["image", "save", "Bad Name", "--arch", "arm64", "-o", "x.tar"], "invalid image"),
        (
            ["image", "save", "{registry}/test/layers:nope", "--arch", "x86_64", "-o", "x.tar"],
            "not found",
        ),
        (
            ["image", "save", "{registry}/test/multi:v1", "--arch", "arm", "-o", "x.tar"],
            "it has: linux/amd64, linux/arm64/v8",
        ),
        (
            ["image", "save", "{token_registry}/test/layers:v1", "--arch", "x86_64", "-o", "x.tar"],
            "authentication to",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_file(
    argv: list[str],
    message: str,
    registry: str,
    token_registry: str,
    docker_config: Path,
    tmp_path: Path,
    run_cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    write_login(docker_config, token_registry, "alice", "not-the-password")
    argv = [a.format(registry=registry, token_registry=token_registry) for a in argv]
    code, _, err = run_cli(*argv)
    assert code == 2
    assert message in err and err.count("\n") == 1 and err.startswith("mikrodock: error:")
    assert "not-the-password" not in err
    assert not list(tmp_path.glob("*x.tar*"))


@pytest.fixture
def tiny_disk(tmp_path: Path) -> object:
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_full_disk_is_one_line_exit_2_and_no_file(
    registry: str, docker_config: Path, tiny_disk: Path, run_cli: Any
) -> None:
    out = tiny_disk / "app.tar"
    code, _, err = run_cli(
        "image", "save", f"{registry}/test/layers:v1", "--arch", "x86_64", "-o", str(out)
    )
    assert code == 2 and "disk full" in err and err.count("\n") == 1
    assert list(tiny_disk.iterdir()) == []


def test_save_from_oci_layout_picks_the_platform(
    oci_store: Path, tmp_path: Path, run_cli: Any
) -> None:
    out = tmp_path / "arm.tar"
    code, stdout, err = run_cli(
        "image",
        "save",
        "multi",
        "--from-archive",
        str(oci_store),
        "--platform",
        "linux/arm64",
        "-o",
        str(out),
    )
    assert code == 0, err
    assert f"wrote {out}" in stdout and "linux/arm64" in stdout
    code, _, err = run_cli(
        "image",
        "save",
        "multi",
        "--from-archive",
        str(oci_store),
        "--arch",
        "arm",
        "-o",
        str(tmp_path / "no.tar"),
    )
    assert code == 2 and "linux/amd64, linux/arm64/v8" in err
    assert not (tmp_path / "no.tar").exists()
