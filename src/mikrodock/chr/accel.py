"""Which accelerator to try, and how to recognise a start that the accelerator broke.

``auto`` tries KVM (Linux) or HVF (macOS, x86_64 guests only: arm64 CHR is known to panic under
HVF) only when the host and guest architectures match, then TCG. A KVM that opens but cannot run
the guest (``KVM internal error`` on real-mode boot code, an exit during start) is noticed by
:func:`accel_failure` and the machine is started again under the next candidate.

Such a failure is remembered for this host (:func:`remember_broken`), keyed by what decides it:
the kernel's boot id and the QEMU binary (path, size, modification time). Until either changes,
``auto`` starts straight under the next candidate (:func:`known_broken`); ``--accel kvm`` still
tries.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import sys
from pathlib import Path

from mikrodock.errors import MachineError, UsageError
from mikrodock.paths import atomic_write, state_dir

__all__ = [
    "ACCELS",
    "accel_failure",
    "candidates",
    "host_arch",
    "known_broken",
    "remember_broken",
]

ACCELS = ("auto", "kvm", "hvf", "tcg")

_FAILURE_MARKS = (
    "kvm internal error",
    "kvm run failed",
    "failed to initialize kvm",
    "could not access kvm kernel module",
    "kvm_init_vcpu failed",
    "kvm: ",
    "error: failed to set msr",
    "hvf: ",
    "hv_vm_create",
)


def host_arch() -> str:
    machine = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)


def _kvm_usable() -> bool:
    return sys.platform.startswith("linux") and os.access("/dev/kvm", os.R_OK | os.W_OK)


def candidates(requested: str, guest_arch: str) -> list[str]:
    """Accelerators to try in order for ``requested`` (one of :data:`ACCELS`)."""
    if requested not in ACCELS:
        raise UsageError(f"unknown accelerator {requested!r}", hint="use auto, kvm, hvf or tcg")
    same = host_arch() == guest_arch
    if requested == "tcg":
        return ["tcg"]
    if requested == "kvm":
        if not same or not _kvm_usable():
            raise MachineError(
                "KVM is not usable here"
                + ("" if same else f" for a {guest_arch} guest on a {host_arch()} host"),
                hint="use --accel tcg (or auto), or give this user access to /dev/kvm",
            )
        return ["kvm"]
    if requested == "hvf":
        if sys.platform != "darwin" or not same:
            raise MachineError(
                "HVF is only for same-architecture guests on macOS", hint="use --accel auto or tcg"
            )
        return ["hvf"]
    if same and _kvm_usable():
        return ["kvm", "tcg"]
    if same and sys.platform == "darwin" and guest_arch == "x86_64":
        return ["hvf", "tcg"]
    return ["tcg"]


def accel_failure(accel: str, stderr_text: str) -> str | None:
    """The line of QEMU's stderr that shows ``accel`` broke the start, or None."""
    if accel == "tcg":
        return None
    for line in stderr_text.splitlines():
        lower = line.lower()
        if any(mark in lower for mark in _FAILURE_MARKS):
            return line.strip()
    return None


def _memory() -> Path:
    return state_dir() / "accel-failures.json"


def _host_key(binary: str) -> dict[str, str]:
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = ""
    try:
        st = os.stat(binary)
        qemu = f"{os.path.realpath(binary)}:{st.st_size}:{st.st_mtime_ns}"
    except OSError:
        qemu = binary
    return {"boot": boot, "qemu": qemu}


def _read() -> dict[str, dict[str, str]]:
    try:
        data = json.loads(_memory().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def remember_broken(accel: str, binary: str, reason: str) -> None:
    """Note that ``accel`` could not start a machine with QEMU ``binary`` on this boot."""
    if accel == "tcg":
        return
    data = _read()
    data[accel] = {**_host_key(binary), "reason": reason}
    with contextlib.suppress(OSError):  # not remembering costs time, not correctness
        atomic_write(_memory(), json.dumps(data, indent=2, sort_keys=True) + "\n", mode=0o600)


def known_broken(accel: str, binary: str) -> str | None:
    """Why ``accel`` failed before on this boot with this QEMU, or None."""
    seen = _read().get(accel)
    if not isinstance(seen, dict) or seen.get("boot") is None:
        return None
    key = _host_key(binary)
    if (seen.get("boot"), seen.get("qemu")) != (key["boot"], key["qemu"]) or not key["boot"]:
        return None
    return str(seen.get("reason", "failed"))
