"""The test guest image: built once and cached, laid out like a CHR disk (128 MiB, MBR, one
bootable FAT16 partition with syslinux), with an initramfs that holds what the guest runs."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mikrodock.errors import ImageError
from mikrodock.testing.guest import build_guest, guest_image
from mikrodock.testing.guest.__main__ import main
from mikrodock.testing.guest.build import DISK_SIZE, PARTITION_START
from mikrodock.testing.guest.initramfs import CpioWriter
from mikrodock.testing.guest.kernel import _depends

MTOOLS_ENV = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}


def _fat(image: Path) -> str:
    return f"{image}@@{PARTITION_START * 512}"


def _read_fat_file(image: Path, name: str) -> bytes:
    return subprocess.run(
        ["mtype", "-i", _fat(image), f"::{name}"], capture_output=True, check=True, env=MTOOLS_ENV
    ).stdout


def _initramfs_members(image: Path) -> tuple[list[str], dict[str, bytes]]:
    """Names in the guest's initramfs (read back with GNU cpio) and a few files' contents."""
    archive = gzip.decompress(_read_fat_file(image, "initrd.gz"))
    listing = subprocess.run(
        ["cpio", "-t", "--quiet"], input=archive, capture_output=True, check=True
    ).stdout.decode()
    files = {}
    for name in ("init", "lib/modules/order"):
        files[name] = subprocess.run(
            ["cpio", "-i", "--quiet", "--to-stdout", name],
            input=archive,
            capture_output=True,
            check=True,
        ).stdout
    return listing.split(), files


def test_guest_image_is_built_once_and_reused(guest_base: Path, persistent_cache: Path) -> None:
    again = guest_image(cache=persistent_cache / "test-guest")
    assert again == guest_base
    assert again.stat().st_mtime == guest_base.stat().st_mtime


def test_disk_is_128_mib_with_one_bootable_fat16_partition(guest_base: Path) -> None:
    assert guest_base.stat().st_size == DISK_SIZE == 128 * 1024 * 1024
    head = guest_base.read_bytes()[:512]
    assert head[510:512] == b"\x55\xaa"
    dump = subprocess.run(["sfdisk", "--json", str(guest_base)], capture_output=True, check=True)
    table = json.loads(dump.stdout)["partitiontable"]
    assert table["label"] == "dos"
    (part,) = table["partitions"]
    assert part["start"] == PARTITION_START
    assert part["type"] == "6"
    assert part["bootable"] is True


def test_partition_holds_syslinux_kernel_and_initramfs(guest_base: Path) -> None:
    listing = subprocess.run(
        ["mdir", "-a", "-b", "-i", _fat(guest_base), "::"],
        capture_output=True,
        check=True,
        text=True,
        env=MTOOLS_ENV,
    ).stdout
    names = {line.strip().removeprefix("::/").lower() for line in listing.splitlines()}
    assert {"ldlinux.sys", "ldlinux.c32", "vmlinuz", "initrd.gz", "syslinux.cfg"} <= names
    config = _read_fat_file(guest_base, "syslinux.cfg").decode()
    assert "console=ttyS0" in config
    assert "initrd=initrd.gz" in config
    assert "mikrodock.version=7.22.3" in config


def test_initramfs_has_busybox_init_and_virtio_modules_in_load_order(guest_base: Path) -> None:
    names, files = _initramfs_members(guest_base)
    assert {"init", "bin/busybox", "bin/sh", "dev/console", "etc/http.sh"} <= set(names)
    order = files["lib/modules/order"].decode().split()
    for module in ("virtio", "virtio_ring", "virtio_pci", "virtio_blk", "failover",
                   "net_failover", "virtio_net"):  # fmt: skip
        assert module in order
        assert f"lib/modules/{module}.ko" in names
    # every module comes after the modules it depends on
    archive = gzip.decompress(_read_fat_file(guest_base, "initrd.gz"))
    for position, module in enumerate(order):
        data = subprocess.run(
            ["cpio", "-i", "--quiet", "--to-stdout", f"lib/modules/{module}.ko"],
            input=archive,
            capture_output=True,
            check=True,
        ).stdout
        for dependency in _depends(data):
            assert dependency in order[:position], f"{module} needs {dependency} first"
    assert files["init"].startswith(b"#!/bin/sh")


def test_cpio_writer_output_reads_back_with_gnu_cpio(tmp_path: Path) -> None:
    if shutil.which("cpio") is None:
        pytest.skip("cpio is not installed (apt-get install cpio)")
    archive = CpioWriter()
    archive.directory("etc")
    archive.file("etc/hello", b"hello\n", 0o640)
    archive.symlink("link", "etc/hello")
    archive.char_device("console", 5, 1)
    data = archive.finish()
    listing = subprocess.run(
        ["cpio", "-t", "-v", "--quiet"], input=data, capture_output=True, check=True
    ).stdout.decode()
    lines = listing.splitlines()
    assert [line.split()[-1] if "->" not in line else line.split()[-3] for line in lines] == [
        "etc",
        "etc/hello",
        "link",
        "console",
    ]
    assert lines[1].startswith("-rw-r-----")
    assert " root " in lines[1]
    assert lines[3].startswith("crw-------")
    subprocess.run(
        ["cpio", "-i", "--quiet", "-d", "etc/hello"], input=data, cwd=tmp_path, check=True
    )
    assert (tmp_path / "etc/hello").read_bytes() == b"hello\n"


def test_bad_version_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    out = tmp_path / "guest.img"
    with pytest.raises(ImageError, match="bad RouterOS version"):
        build_guest(out, version="7.22 3")
    assert not out.exists()


def test_command_line_builds_with_the_version_given(
    tmp_path: Path, persistent_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "guest.img"
    cache = str(persistent_cache / "test-guest")
    assert main([str(out), "--cache", cache, "--version", "7.21.1"]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert "mikrodock.version=7.21.1" in _read_fat_file(out, "syslinux.cfg").decode()
    assert [p.name for p in tmp_path.iterdir()] == ["guest.img"]  # no temp file left


def test_command_line_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "guest.img"), "--version", ""]) == 2
    assert "bad RouterOS version" in capsys.readouterr().err


def test_two_processes_asking_at_once_share_one_build(
    tmp_path: Path, persistent_cache: Path
) -> None:
    cache = tmp_path / "cache"
    (cache / "debs").mkdir(parents=True)
    for deb in (persistent_cache / "test-guest" / "debs").glob("*.deb"):
        (cache / "debs" / deb.name).symlink_to(deb)  # no second download
    code = (
        "import sys; from pathlib import Path; from mikrodock.testing.guest import guest_image;"
        "print(guest_image(cache=Path(sys.argv[1])))"
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(cache)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=300)[0].strip() for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0]
    assert outputs[0] == outputs[1]
    image = Path(outputs[0])
    assert image.stat().st_size == DISK_SIZE
    leftovers = [p.name for p in cache.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
