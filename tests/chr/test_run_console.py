"""``chr run --console``: attach to the serial console once ready; Ctrl-] leaves it running."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mikrodock.chr import status
from mikrodock.chr.state import machine_dir
from mikrodock.cli.main import main

MIKRODOCK = Path(sys.executable).parent / "mikrodock"


def test_detach_and_console_contradict(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["chr", "run", "--name", "x1", "-d", "--console"])
    assert exit_.value.code == 2
    assert "--detach and --console contradict" in capsys.readouterr().err
    assert not machine_dir("x1").exists()


@pytest.mark.qemu
@pytest.mark.slow
@pytest.mark.usefixtures("no_machines_left")
def test_run_console_then_detach(guest_disk: Path) -> None:
    proc = subprocess.Popen(
        [str(MIKRODOCK), "chr", "run", "--image", str(guest_disk), "--name", "con2",
         "--no-password", "--accel", "tcg", "--console"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    seen = bytearray()

    def read() -> None:
        assert proc.stdout is not None
        while chunk := proc.stdout.read1(4096):
            seen.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    proc.stdin.write(b"admin\r")  # read by the console once attached: the guest asks for a password
    proc.stdin.flush()
    deadline = time.monotonic() + 120
    while b"Password" not in seen and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.stdin.write(b"\x1d")  # Ctrl-]
    proc.stdin.flush()
    _, err = proc.communicate(timeout=30)
    reader.join(5)
    assert proc.returncode == 0, err
    assert b"con2 ready in" in seen and b"Password" in seen
    assert b"detached" in err
    [found] = status.list_machines()
    assert (found.name, found.state) == ("con2", "running")
