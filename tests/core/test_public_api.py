"""The public API is declared once: what `mikrodock` exports is what we mean to support."""

from __future__ import annotations

import subprocess
import sys

import mikrodock


def test_exports_are_the_error_tree_and_versions() -> None:
    exported = set(mikrodock.__all__)
    for name in (
        "MikrodockError",
        "RouterError",
        "MachineError",
        "ImageError",
        "PlanError",
        "UsageError",
        "RouterOSVersion",
        "parse_version",
    ):
        assert name in exported
    for name in exported:
        assert hasattr(mikrodock, name)
    errors = [
        getattr(mikrodock, n) for n in exported if n.endswith("Error") or n == "CertificateChanged"
    ]
    assert all(issubclass(e, mikrodock.MikrodockError) for e in errors)


def test_version_flag_and_module_entry_point() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mikrodock", "--version"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"mikrodock {mikrodock.__version__}"
