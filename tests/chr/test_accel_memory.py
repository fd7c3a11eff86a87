"""A KVM start that failed is remembered for this host: `--accel auto` then goes straight to the
next accelerator until the kernel is rebooted or QEMU changes; TCG is never "broken"."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mikrodock.chr import accel


@pytest.fixture
def qemu(tmp_path: Path) -> str:
    binary = tmp_path / "qemu-system-x86_64"
    binary.write_text("#!/bin/sh\n")
    return str(binary)


pytestmark = pytest.mark.skipif(
    not Path("/proc/sys/kernel/random/boot_id").exists(), reason="needs the kernel's boot id"
)


def test_a_failure_is_remembered_for_this_boot_and_qemu(qemu: str) -> None:
    assert accel.known_broken("kvm", qemu) is None
    accel.remember_broken("kvm", qemu, "KVM failed: KVM internal error")
    assert accel.known_broken("kvm", qemu) == "KVM failed: KVM internal error"
    assert accel.known_broken("hvf", qemu) is None


def test_another_qemu_forgets_it(qemu: str) -> None:
    accel.remember_broken("kvm", qemu, "KVM failed")
    stat = os.stat(qemu)
    os.utime(qemu, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # QEMU upgraded
    assert accel.known_broken("kvm", qemu) is None


def test_tcg_is_never_remembered_as_broken(qemu: str) -> None:
    accel.remember_broken("tcg", qemu, "exited")
    assert accel.known_broken("tcg", qemu) is None


def test_a_damaged_memory_file_is_ignored(qemu: str) -> None:
    from mikrodock.paths import state_dir

    (state_dir() / "accel-failures.json").write_text("{not json")
    assert accel.known_broken("kvm", qemu) is None
    accel.remember_broken("kvm", qemu, "KVM failed")
    assert accel.known_broken("kvm", qemu) == "KVM failed"
