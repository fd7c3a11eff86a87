"""A KVM start that failed is remembered for this host: `--accel auto` then goes straight to the
next accelerator until the kernel is rebooted or QEMU changes; TCG is never "broken"."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mikrodock.chr import accel
from mikrodock.chr.boot import boot
from mikrodock.chr.ports import pick_free
from mikrodock.chr.state import MachineRecord, PortForward
from mikrodock.errors import MachineError


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


@pytest.fixture
def failing_kvm_qemu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A stand-in QEMU on PATH that exits at once with a KVM error (this host's KVM may work)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    binary = folder / "qemu-system-x86_64"
    binary.write_text("#!/bin/sh\necho 'kvm: error: failed to set MSR 0x38f to 0x7000000ff' >&2\n"
                      "exit 1\n")  # fmt: skip
    binary.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}:{os.environ['PATH']}")
    return str(binary)


def _record(name: str) -> MachineRecord:
    record = MachineRecord(
        name=name, arch="x86_64", image="7.22.3", base_image=Path("/nonexistent"),
        memory_mib=256, cpus=1, accel_requested="auto", ports=(PortForward(80, pick_free(1)[0]),),
        mac="52:54:00:00:00:01",
    )  # fmt: skip
    record.dir.mkdir(parents=True)
    return record


def test_a_failed_restore_under_kvm_is_not_remembered_as_kvm_failing(
    failing_kvm_qemu: str, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    state.write_bytes(b"QEVM")
    with pytest.raises(MachineError, match="KVM failed"):
        boot(_record("restored"), ["kvm"], timeout=30, note=lambda _: None, incoming_state=state)
    assert accel.known_broken("kvm", failing_kvm_qemu) is None
    # the same failure on a boot is the host's KVM, and is remembered
    with pytest.raises(MachineError, match="KVM failed"):
        boot(_record("booted"), ["kvm"], timeout=30, note=lambda _: None)
    assert accel.known_broken("kvm", failing_kvm_qemu) is not None
