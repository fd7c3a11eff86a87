"""`mikrodock chr serve` and `chr health`, the container entrypoint, run for real: a QEMU
subprocess booting the test guest under TCG, driven the way Docker drives it (env, SIGTERM)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from mikrodock.chr.docker.dockerfile import CONTAINER_PORTS, DockerImageSpec, write_context
from mikrodock.chr.qmp import qmp_call
from mikrodock.chr.state import pid_alive
from mikrodock.testing.guest import guest_image

pytestmark = [pytest.mark.qemu, pytest.mark.slow]

# The CLI as a subprocess, with this group's commands registered even before main.py lists them.
ENTRY = "import sys\nfrom mikrodock.cli import main\nmain.main(sys.argv[1:])\n"
MIKRODOCK = [sys.executable, "-c", ENTRY]
OFFSET_CANDIDATES = (11000, 13000, 15000, 17000, 19000)  # below the ephemeral range


@pytest.fixture(scope="session")
def guest(persistent_cache: Path) -> Path:
    return guest_image(cache=persistent_cache / "test-guest")


def _free_offset() -> int:
    """A port offset where every forwarded port (TCP and UDP) is free on all interfaces."""
    for offset in OFFSET_CANDIDATES:
        ok = True
        for port, proto in CONTAINER_PORTS:
            kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
            with socket.socket(socket.AF_INET, kind) as probe:
                try:
                    probe.bind(("0.0.0.0", port + offset))
                except OSError:
                    ok = False
                    break
        if ok:
            return offset
    pytest.skip("no free block of ports for --ports container")


class Served:
    """One `mikrodock chr serve` process; its stdout and stderr go to files."""

    def __init__(
        self, folder: Path, args: list[str], env: dict[str, str], argv: list[str] | None = None
    ) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.out = folder / "stdout"
        self.err = folder / "stderr"
        command = argv or [*MIKRODOCK, "chr", "serve", *args]
        with open(self.out, "wb") as out, open(self.err, "wb") as err:
            self.proc = subprocess.Popen(command, stdout=out, stderr=err, env=env)

    def wait_ready(self, timeout: float = 180.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.out.read_text()
            if " ready in " in text:
                return text
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"serve not ready: {self.err.read_text()}")

    def stop(self, timeout: float = 60.0) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def serve_env(tmp_path: Path) -> Iterator[tuple[dict[str, str], list[Served]]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIKRODOCK_ADMIN")}
    started: list[Served] = []
    yield env, started
    for served in started:  # never leave a QEMU behind, whatever the test did
        served.kill()
    record = Path(env["MIKRODOCK_HOME"]) / "state" / "machines" / "router" / "machine.json"
    if record.exists():
        pid = json.loads(record.read_text()).get("pid", 0)
        if pid and pid_alive(pid):
            os.kill(pid, signal.SIGKILL)


def _health(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MIKRODOCK, "chr", "health"], capture_output=True, text=True, env=env, timeout=60
    )


def _machine(env: dict[str, str]) -> tuple[Path, dict[str, object]]:
    folder = Path(env["MIKRODOCK_HOME"]) / "state" / "machines" / "router"
    return folder, json.loads((folder / "machine.json").read_text())


def test_serve_boots_provisions_stops_on_sigterm_and_keeps_the_disk(
    tmp_path: Path, guest: Path, serve_env: tuple[dict[str, str], list[Served]]
) -> None:
    env, started = serve_env
    offset = _free_offset()
    script = tmp_path / "startup.rsc"
    script.write_text('# comment lines are dropped\n:put "configured"\n')
    args = ["--image", str(guest), "--accel", "tcg", "--ports", "container",
            "--port-offset", str(offset), "--startup-script", str(script)]  # fmt: skip

    assert _health(env).returncode == 1  # nothing there yet

    # From the first moment, someone keeps trying the published REST port with RouterOS's
    # factory login (admin, no password): it must never get in.
    url = f"http://127.0.0.1:{80 + offset}"
    empty_login: list[int] = []
    watching = threading.Event()

    def knock() -> None:
        while not watching.is_set():
            try:
                answer = httpx.get(f"{url}/rest/system/resource", auth=("admin", ""), timeout=2)
                empty_login.append(answer.status_code)
            except httpx.TransportError:
                pass  # not published yet
            time.sleep(0.05)

    knocker = threading.Thread(target=knock, daemon=True)
    knocker.start()
    first = Served(tmp_path / "run1", args, {**env, "MIKRODOCK_ADMIN_PASSWORD": "first-secret"})
    started.append(first)
    first.wait_ready()
    deadline = time.monotonic() + 15
    while not empty_login and time.monotonic() < deadline:
        time.sleep(0.1)
    watching.set()
    knocker.join(5)
    assert empty_login and 200 not in empty_login, empty_login  # refused, then 401
    folder, record = _machine(env)
    # QEMU started with only a private REST forward (on 127.0.0.1): the published ports were
    # added once the password was set, so no one could log in with the empty one meanwhile
    argv = Path(f"/proc/{record['pid']}/cmdline").read_bytes().split(b"\0")
    forwards = [word for word in b",".join(argv).split(b",") if word.startswith(b"hostfwd=")]
    assert len(forwards) == 1 and forwards[0].startswith(b"hostfwd=tcp:127.0.0.1:"), forwards
    assert not record.get("provision_port")
    assert record["ports"]["80"] == 80 + offset and record["publish_all"] is True
    healthy = _health(env)
    assert healthy.returncode == 0, healthy.stderr
    # the password from the environment was set in the router, and kept 0600
    answer = httpx.get(f"{url}/rest/system/resource", auth=("admin", "first-secret"))
    assert answer.status_code == 200 and answer.json()["board-name"]
    assert httpx.get(f"{url}/rest/system/resource", auth=("admin", "")).status_code == 401
    assert stat.S_IMODE((folder / "password").stat().st_mode) == 0o600
    # the startup script ran once, and a marker on the volume says so
    assert "startup script" in first.err.read_text() and "configured" in first.err.read_text()
    assert (folder / "startup.done").is_file()
    # UDP ports (WireGuard, IPsec, L2TP, OpenVPN) are forwarded from every interface too
    usernet = qmp_call(folder / "qmp.sock", "human-monitor-command",
                       {"command-line": "info usernet"})  # fmt: skip
    for port, proto in CONTAINER_PORTS:
        if proto == "udp":
            assert f"{port + offset}" in usernet, usernet
    qemu_pid = int(record["pid"])  # type: ignore[call-overload]
    disk_inode = (folder / "disk.qcow2").stat().st_ino

    assert first.stop() == 0
    assert not pid_alive(qemu_pid)
    assert "powering router down" in first.err.read_text()
    assert "Power down" in (folder / "serial.log").read_text()  # the guest saw the ACPI button
    assert _health(env).returncode == 1
    assert not (folder / "qmp.sock").exists()

    # a second start on the same folder boots the same disk: the router kept the password it
    # was given (a new one in the environment is not applied) and the script does not run again
    second = Served(tmp_path / "run2", args, {**env, "MIKRODOCK_ADMIN_PASSWORD": "other"})
    started.append(second)
    second.wait_ready()
    errors = second.err.read_text()
    assert "reusing router's disk" in errors and "startup script" not in errors
    assert "not applied" in errors
    assert (folder / "disk.qcow2").stat().st_ino == disk_inode
    answer = httpx.get(f"{url}/rest/system/resource", auth=("admin", "first-secret"))
    assert answer.status_code == 200
    assert _health(env).returncode == 0
    qemu_pid = int(_machine(env)[1]["pid"])  # type: ignore[call-overload]
    assert second.stop() == 0
    assert not pid_alive(qemu_pid)


def _dockerfile_steps(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    steps = []
    for line in joined.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            steps.append((word, rest.strip()))
    return steps


@pytest.fixture
def download_host(tmp_path_factory: pytest.TempPathFactory, guest: Path) -> Iterator[str]:
    """MikroTik's download host on 127.0.0.1: the zipped test guest as CHR 7.22.3, and its
    published sha256."""
    folder = tmp_path_factory.mktemp("download")
    archive = folder / "chr-7.22.3.img.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.write(guest, "chr-7.22.3.img")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    files = {"/7.22.3/chr-7.22.3.img.zip": archive.read_bytes(),
             "/7.22.3/chr-7.22.3.img.zip.sha256": digest.encode()}  # fmt: skip

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_generated_image_steps_run_without_docker(
    tmp_path: Path, download_host: str, serve_env: tuple[dict[str, str], list[Served]]
) -> None:
    """What `docker build` and `docker run` would do with the generated context, minus Docker:
    the Dockerfile's ENV and `mikrodock` RUN steps (the CHR pulled at build time), then its
    entrypoint with `docker run` style extra flags, the HEALTHCHECK command, and SIGTERM."""
    env, started = serve_env
    context = tmp_path / "ctx"
    write_context(DockerImageSpec("7.22.3"), context)
    steps = _dockerfile_steps((context / "Dockerfile").read_text())
    image_env = dict(env, MIKRODOCK_DOWNLOAD_URL=download_host)
    for word, args in steps:
        if word == "ENV":
            for pair in args.split():
                key, _, value = pair.partition("=")
                if key != "MIKRODOCK_HOME":  # the image's folder is this test's home here
                    image_env[key] = value
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "mikrodock").write_text(f'#!/bin/sh\nexec "{sys.executable}" -c \'{ENTRY}\' "$@"\n')
    (shim / "mikrodock").chmod(0o755)
    image_env["PATH"] = f"{shim}:{env['PATH']}"
    for word, args in steps:
        if word == "RUN" and args.startswith("mikrodock "):
            built = subprocess.run(["sh", "-c", args], env=image_env, capture_output=True,
                                   text=True, timeout=300)  # fmt: skip
            assert built.returncode == 0, built.stderr
    offset = _free_offset()
    entry = Served(tmp_path / "run", [], image_env,
                   argv=[str(context / "entrypoint.sh"), "--accel", "tcg",
                         "--port-offset", str(offset)])  # fmt: skip
    started.append(entry)
    printed = entry.wait_ready()
    assert "MikroTik" in printed  # the router's serial console, as `docker logs` shows it
    _, record = _machine(env)
    assert record["version"] == "7.22.3" and record["publish_all"] is True
    assert record["memory_mib"] == 256
    check = json.loads(dict(steps)["HEALTHCHECK"].split(" CMD ", 1)[1])
    healthy = subprocess.run(check, env=image_env, capture_output=True, text=True, timeout=60)
    assert healthy.returncode == 0, healthy.stderr
    assert entry.stop() == 0
    assert not pid_alive(int(record["pid"]))  # type: ignore[call-overload]
    unhealthy = subprocess.run(check, env=image_env, capture_output=True, text=True, timeout=60)
    assert unhealthy.returncode == 1


def test_sigterm_while_booting_ends_qemu(
    tmp_path: Path, guest: Path, serve_env: tuple[dict[str, str], list[Served]]
) -> None:
    env, started = serve_env
    served = Served(tmp_path / "run", ["--image", str(guest), "--accel", "tcg"], env)
    started.append(served)
    folder = Path(env["MIKRODOCK_HOME"]) / "state" / "machines" / "router"
    deadline = time.monotonic() + 120
    while not (folder / "qemu.pid").exists():
        assert served.proc.poll() is None, served.err.read_text()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    pid = int(json.loads((folder / "machine.json").read_text())["pid"])
    assert served.stop() == 0
    assert not pid_alive(pid)
    assert "stopped while booting" in served.err.read_text()


def test_bad_input_is_one_line_exit_2_and_makes_nothing(
    tmp_path: Path, guest: Path, serve_env: tuple[dict[str, str], list[Served]]
) -> None:
    env, _ = serve_env
    secret = tmp_path / "secret"
    secret.write_text("from-file\n")
    cases = [
        (["--startup-script", str(tmp_path / "none.rsc")], {}, "no startup script"),
        (["--password-file", str(secret)], {"MIKRODOCK_ADMIN_PASSWORD": "x"}, "only one"),
        (["--password-file", str(tmp_path / "none")], {}, "cannot read the password file"),
        (["--ports", "everything"], {}, "unknown --ports"),
        (["--name", "Bad Name"], {}, "bad machine name"),
    ]
    for args, extra, words in cases:
        done = subprocess.run(
            [*MIKRODOCK, "chr", "serve", "--image", str(guest), *args],
            capture_output=True, text=True, env={**env, **extra}, timeout=60,
        )  # fmt: skip
        assert done.returncode == 2, (args, done.stderr)
        assert words in done.stderr and len(done.stderr.strip().splitlines()) == 1
    machines = Path(env["MIKRODOCK_HOME"]) / "state" / "machines"
    assert not machines.exists() or not any(machines.iterdir())


def test_admin_password_sources(tmp_path: Path) -> None:
    from mikrodock.chr.docker.serve import admin_password
    from mikrodock.errors import UsageError

    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    assert admin_password({}, None) is None
    assert admin_password({"MIKRODOCK_ADMIN_PASSWORD": "env-pw"}, None) == "env-pw"
    assert admin_password({}, secret) == "s3cret"  # a trailing newline is not part of it
    assert admin_password({}, None, "clab-pw") == "clab-pw"  # containerlab's, when no other
    assert admin_password({"MIKRODOCK_ADMIN_PASSWORD": "env-pw"}, None, "clab-pw") == "env-pw"
    with pytest.raises(UsageError, match=r"only one|both"):
        admin_password({"MIKRODOCK_ADMIN_PASSWORD": "x"}, secret)
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(UsageError, match="empty"):
        admin_password({}, tmp_path / "empty")
