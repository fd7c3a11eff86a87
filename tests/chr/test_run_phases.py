"""`chr run` on a terminal says which phase of the boot is under way (QEMU starting, the wait
for the router, the password, the forwarded ports); on a pipe it says nothing but the answer.
A real process on the test guest, its stderr on a pseudo-terminal."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.qemu, pytest.mark.slow, pytest.mark.usefixtures("no_machines_left")]

MIKRODOCK = Path(sys.executable).with_name("mikrodock")


def _run(guest_disk: Path, name: str, *, terminal: bool) -> tuple[int, str, str]:
    argv = [str(MIKRODOCK), "chr", "run", "--image", str(guest_disk), "--name", name]
    argv += ["--accel", "tcg"]
    if not terminal:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
        return done.returncode, done.stdout, done.stderr
    leader, follower = pty.openpty()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=follower, text=True)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    out, _ = proc.communicate(timeout=300)
    os.close(leader)
    return proc.returncode, out, seen.decode("utf-8", "replace")


def test_the_boot_phases_show_on_a_terminal_only(guest_disk: Path) -> None:
    code, out, err = _run(guest_disk, "ph1", terminal=True)
    assert code == 0, err
    # the status line is redrawn a few times a second: the long phase is always seen
    assert "QEMU runs (TCG); waiting for ph1 to answer" in err, err
    assert "ph1" in out

    code, out, err = _run(guest_disk, "ph2", terminal=False)
    assert code == 0, err
    assert "waiting for" not in err and "starting QEMU" not in err
