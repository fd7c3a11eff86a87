"""Which accelerator to try, and how to recognise a start that the accelerator broke.

``auto`` tries KVM (Linux) or HVF (macOS, x86_64 guests only: arm64 CHR is known to panic under
HVF) only when the host and guest architectures match, then TCG. A KVM that opens but cannot run
the guest (``KVM internal error`` on real-mode boot code, an exit during start) is noticed by
:func:`accel_failure` and the machine is started again under the next candidate.
"""

from __future__ import annotations

import os
import platform
import sys

from mikrodock.errors import MachineError, UsageError

__all__ = ["ACCELS", "accel_failure", "candidates", "host_arch"]

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
