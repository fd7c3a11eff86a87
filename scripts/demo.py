"""`make demo`: start a simulated RouterOS router and show `mikrodock info` against it.

Runs the real command line end to end: `mikrodock sim` in the background (port picked free,
password generated into a private file), then `mikrodock info -H URL`, then stops the simulator.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

MIKRODOCK = [sys.executable, "-m", "mikrodock"]


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="mikrodock-demo-") as tmp:
        password_file = Path(tmp) / "password"
        password_file.write_text("demo-password\n")
        password_file.chmod(0o600)
        sim = subprocess.Popen(
            [
                *MIKRODOCK,
                "sim",
                "--version",
                "7.22.3",
                "--port",
                "0",
                "--user",
                "admin",
                "--password-file",
                str(password_file),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert sim.stdout is not None
            line = sim.stdout.readline().strip()
            if not line.startswith("http://"):
                print(f"the simulator did not start: {line!r}", file=sys.stderr)
                return 1
            url = line.split()[0]
            print(f"$ mikrodock sim --router-version 7.22.3 --port 0   -> {line}")
            print(f"$ mikrodock info -H {url}")
            env = {**os.environ, "MIKRODOCK_PASSWORD": password_file.read_text().strip()}
            done = subprocess.run([*MIKRODOCK, "info", "-H", url], env=env, check=False)
            return done.returncode
        finally:
            sim.terminate()
            sim.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
