"""Bad input to `chr run` / `chr pull`: one line naming the fix, exit 2, nothing left behind."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from mikrodock.chr import process
from mikrodock.chr.state import machines_root
from mikrodock.cli.main import main


def _fails(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as exit_:
        main(["chr", *argv])
    err = capsys.readouterr().err
    assert exit_.value.code == 2, err
    assert err.count("\n") == 1 and err.startswith("mikrodock: error: ")
    assert list(machines_root().iterdir()) == []  # nothing left behind
    return err


@pytest.fixture
def disk(tmp_path: Path) -> Path:
    data = bytearray(2 << 20)
    data[510:512] = b"\x55\xaa"
    path = tmp_path / "chr.img"
    path.write_bytes(bytes(data))
    return path


def test_unknown_channel(capsys: pytest.CaptureFixture[str]) -> None:
    err = _fails(capsys, "run", "nightly")
    assert "unknown RouterOS version or channel 'nightly'" in err and "stable" in err


def test_unknown_version_on_the_download_host(mikrotik, capsys) -> None:  # type: ignore[no-untyped-def]
    err = _fails(capsys, "pull", "7.99.1")
    assert "404" in err and "MIKRODOCK_DOWNLOAD_URL" in err


def test_qemu_missing_names_the_debian_package(
    disk: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:  # fmt: skip
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    err = _fails(capsys, "run", "--image", str(disk))
    assert "qemu-system-x86_64 is not installed" in err and "qemu-system-x86" in err


def test_firmware_missing_names_the_debian_package(
    disk: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(process, "_FIRMWARE", (("/nonexistent/CODE.fd", ""),))
    err = _fails(capsys, "run", "--image", str(disk), "--arch", "aarch64", "--accel", "tcg")
    assert "qemu-efi-aarch64" in err


def test_port_in_use(disk: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        err = _fails(capsys, "run", "--image", str(disk), "-p", f"{port}:80")
    assert f"host port {port} is already in use" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--memory", "64M"), "too little for RouterOS"),
        (("--memory", "100000G"), "more than this host has free"),
        (("-p", "eighty"), "bad -p"),
        (("--name", "Bad Name"), "bad machine name"),
        (("--accel", "warp"), "unknown accelerator"),
        (("--arch", "mips"), "unknown architecture"),
        (("--cpus", "0"), "--cpus 0"),
    ],
)
def test_bad_flags(disk: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...],
                   message: str) -> None:  # fmt: skip
    assert message in _fails(capsys, "run", "--image", str(disk), *args)


def test_corrupt_images(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "chr.img"
    text.write_text("not a disk")
    assert "not a bootable disk image" in _fails(capsys, "run", "--image", str(text))
    broken = tmp_path / "chr.img.zip"
    broken.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    assert "not a valid zip" in _fails(capsys, "run", "--image", str(broken))
    assert "no such image file" in _fails(capsys, "run", "--image", str(tmp_path / "none.img"))


def test_console_of_an_unknown_machine_prints_only_the_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["chr", "console", "nosuch"])
    captured = capsys.readouterr()
    assert done.value.code == 2 and captured.out == ""
    assert captured.err.strip().splitlines() == [
        "mikrodock: error: no machine named 'nosuch' (see `mikrodock chr ls` for the machines)"
    ]


@pytest.mark.parametrize("seconds", ["nan", "inf", "-1", "0", "1e9"])
@pytest.mark.parametrize(
    "command", [("run", "stable"), ("run", "--from", "r1:ready"), ("start", "r1"), ("stop", "r1")]
)
def test_an_unusable_timeout_is_refused_before_anything_happens(
    seconds: str, command: tuple[str, ...], capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("MIKRODOCK_UPGRADE_URL", "http://127.0.0.1:9")  # no network reached
    err = _fails(capsys, *command, "--timeout", seconds)
    assert "is not a usable wait" in err and "e.g. 300" in err
