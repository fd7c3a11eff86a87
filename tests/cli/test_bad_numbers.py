"""A number of seconds that is not a finite number (nan, inf) or not above 0 is refused in
one line naming the flag, exit 2, before anything touches a router or the disk."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

MIKRODOCK = Path(sys.executable).with_name("mikrodock")


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["run", "--pull-timeout", "nan", "-d", "alpine"], "--pull-timeout"),
        (["chr", "run", "--timeout", "nan", "7.20"], "--timeout"),
        (["chr", "stop", "--timeout", "inf", "r1"], "--timeout"),
        (["--timeout", "nan", "ps"], "--timeout"),
        (["ps", "--timeout", "0"], "--timeout"),
    ],
)
def test_a_bad_number_is_one_line_and_exit_2(argv: list[str], flag: str, tmp_path: Path) -> None:
    env = {**os.environ, "MIKRODOCK_HOME": str(tmp_path)}
    done = subprocess.run(
        [str(MIKRODOCK), *argv], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"mikrodock: error: {flag} ")
    assert list(tmp_path.iterdir()) == []  # nothing made on disk
