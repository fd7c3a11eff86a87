"""`./setup.sh demo`: both halves of mikrodock, end to end, on embedded defaults.

1. Containers on a router: `mikrodock sim` (a simulated RouterOS router) in the background, then
   `run -d -p -e -v`, `ps`, `logs`, `exec` and `rm` against it, as a user types them.
2. RouterOS machines on this machine: the test guest (a small disk that boots like a CHR and
   answers its REST API; built once and cached) with `chr run`, `chr snapshot save` and a
   clone from the snapshot (`chr run --from`), ready in about a second. Skipped, saying why,
   when QEMU is not installed.

Every command runs as its own process with a scratch MIKRODOCK_HOME; nothing is left behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MIKRODOCK = [sys.executable, "-m", "mikrodock"]


def _show(env: dict[str, str], *args: str) -> None:
    shown = " ".join(a if " " not in a else repr(a) for a in args)
    print(f"$ mikrodock {shown}", flush=True)
    began = time.monotonic()
    done = subprocess.run([*MIKRODOCK, *args], env=env, text=True, capture_output=True)
    out = (done.stdout + done.stderr).rstrip()
    if out:
        print("  " + out.replace("\n", "\n  "))
    print(f"  ({time.monotonic() - began:.2f} s, exit {done.returncode})", flush=True)
    if done.returncode != 0:
        raise SystemExit(f"demo: `mikrodock {shown}` failed")


def containers_half(home: Path) -> None:
    print("== containers on a (simulated) RouterOS router ==", flush=True)
    password_file = home / "password"
    password_file.write_text("demo-password\n")
    password_file.chmod(0o600)
    env = {**os.environ, "MIKRODOCK_HOME": str(home), "MIKRODOCK_PASSWORD": "demo-password"}
    argv = [*MIKRODOCK, "sim", "--router-version", "7.22.3", "--port", "0"]
    sim = subprocess.Popen(
        [*argv, "--password-file", str(password_file)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert sim.stdout is not None
        url = sim.stdout.readline().split()[0]
        print(f"$ mikrodock sim --router-version 7.22.3 --port 0   -> {url}")
        env["MIKRODOCK_HOST"] = url
        _show(env, "run", "-d", "--name", "web", "-p", "8080:80", "-e", "GREETING=hi",
              "-v", "disk1/web:/data", "nginx:1.27")  # fmt: skip
        _show(env, "ps")
        _show(env, "logs", "web")
        _show(env, "exec", "web", "echo", "hello from web")
        _show(env, "rm", "-f", "web")
        _show(env, "ps", "-a")
    finally:
        sim.terminate()
        sim.wait(timeout=30)


def machines_half(home: Path) -> None:
    print("\n== RouterOS-like machines under QEMU (the test guest) ==", flush=True)
    if shutil.which("qemu-system-x86_64") is None:
        print("  skipped: qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)")
        return
    from mikrodock.testing.guest import guest_image

    began = time.monotonic()
    disk = guest_image()
    print(f"  test guest: {disk} ({time.monotonic() - began:.1f} s, cached after the first run)")
    env = {**os.environ, "MIKRODOCK_HOME": str(home)}
    try:
        _show(env, "chr", "run", "--image", str(disk), "--name", "r1", "--accel", "auto")
        _show(env, "chr", "snapshot", "save", "r1:ready")
        _show(env, "chr", "run", "--from", "r1:ready", "--name", "r2")
        _show(env, "chr", "ls")
    finally:
        subprocess.run([*MIKRODOCK, "chr", "rm", "-f", "r1", "r2"], env=env, capture_output=True)


def main() -> int:
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mikrodock-demo-") as tmp:
        (Path(tmp) / "containers").mkdir()
        (Path(tmp) / "machines").mkdir()
        containers_half(Path(tmp) / "containers")
        machines_half(Path(tmp) / "machines")
    print(f"\ndemo done in {time.monotonic() - began:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
