"""`chr run` on a terminal says which phase of the boot is under way (QEMU starting, the wait
for the router, the password, the forwarded ports); on a pipe it says nothing but the answer.
A real process on the test guest, its stderr on a pseudo-terminal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.qemu, pytest.mark.slow, pytest.mark.usefixtures("no_machines_left")]

MIKRODOCK = Path(sys.executable).with_name("mikrodock")


def _argv(guest_disk: Path, name: str) -> list[str]:
    return [str(MIKRODOCK), "chr", "run", "--image", str(guest_disk), "--name", name, "--accel",
            "tcg"]  # fmt: skip


def test_the_boot_phases_show_on_a_terminal_only(guest_disk: Path, on_terminal: Any) -> None:
    code, out, err = on_terminal(_argv(guest_disk, "ph1"))
    assert code == 0, err
    # the status line is redrawn a few times a second: the long phase is always seen
    assert "QEMU runs (TCG); waiting for ph1 to answer" in err, err
    assert "ph1" in out

    done = subprocess.run(_argv(guest_disk, "ph2"), capture_output=True, text=True, timeout=300)
    code, err = done.returncode, done.stderr
    assert code == 0, err
    assert "waiting for" not in err and "starting QEMU" not in err
