"""The test guest under real QEMU (TCG), booted the way mikrodock boots a CHR: SeaBIOS on q35,
virtio-blk and virtio-net, user networking with port 80 forwarded to 127.0.0.1, QMP and the
serial console on unix sockets, the disk a qcow2 overlay on the cached image. The guest answers
like a fresh CHR on port 80, shows the RouterOS login banner on the serial console and powers
off on the ACPI power button."""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from qemu.qmp import QMPError
from qemu.qmp.legacy import QEMUMonitorProtocol

pytestmark = pytest.mark.qemu

QEMU = "qemu-system-x86_64"
READY_TIMEOUT = 90.0  # TCG on a slow CI runner; about 6 s here


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def need_qemu() -> None:
    for tool, package in ((QEMU, "qemu-system-x86"), ("qemu-img", "qemu-utils")):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (apt-get install {package})")


@dataclass
class Guest:
    """One running test guest: its QEMU process, forwarded HTTP port and sockets."""

    folder: Path
    disk: Path
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def qmp_socket(self) -> Path:
        return self.folder / "qmp.sock"

    @property
    def serial_log(self) -> Path:
        return self.folder / "serial.log"

    def argv(self) -> list[str]:
        return [
            QEMU, "-M", "q35", "-m", "256", "-accel", "tcg", "-display", "none",
            "-nodefaults", "-no-user-config",
            "-drive", f"file={self.disk},if=none,id=d0,format=qcow2",
            "-device", "virtio-blk-pci,drive=d0",
            "-netdev", f"user,id=net0,hostfwd=tcp:127.0.0.1:{self.port}-:80",
            "-device", "virtio-net-pci,netdev=net0",
            "-chardev", f"socket,id=ser0,path={self.folder / 'serial.sock'},server=on,"
            f"wait=off,logfile={self.serial_log}",
            "-serial", "chardev:ser0",
            "-qmp", f"unix:{self.qmp_socket},server=on,wait=off",
        ]  # fmt: skip

    def start(self) -> None:
        for stale in (self.qmp_socket, self.folder / "serial.sock"):
            stale.unlink(missing_ok=True)
        stderr = (self.folder / "qemu.stderr").open("ab")
        self.process = subprocess.Popen(
            self.argv(), stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr
        )
        stderr.close()

    def wait_http(self, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                pytest.fail(f"QEMU exited with {self.process.returncode}: {self.tail()}")
            try:
                if httpx.get(self.url + "/", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.1)
        pytest.fail(f"guest HTTP not up after {timeout} s ({last}); {self.tail()}")

    def tail(self) -> str:
        serial = ""
        if self.serial_log.exists():
            serial = self.serial_log.read_text(errors="replace")[-800:]
        stderr = (self.folder / "qemu.stderr").read_text(errors="replace")[-800:]
        return f"serial: {serial!r} stderr: {stderr!r}"

    def qmp(self, command: str) -> object:
        monitor = QEMUMonitorProtocol(str(self.qmp_socket))
        monitor.connect()
        try:
            return monitor.cmd(command)
        finally:
            monitor.close()

    def wait_exit(self, timeout: float) -> int | None:
        assert self.process is not None
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(OSError, EOFError, QMPError):  # killed below if need be
            self.qmp("quit")
        if self.wait_exit(10) is None:
            self.process.kill()
            self.process.wait(10)


def make_overlay(base: Path, folder: Path) -> Path:
    overlay = folder / "disk.qcow2"
    subprocess.run(
        ["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(base), "-F", "raw", str(overlay)],
        check=True,
    )
    return overlay


@pytest.fixture
def new_guest(
    guest_base: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[], Guest]]:
    """Make guests on fresh overlays; each is stopped at the end of the test."""
    need_qemu()
    made: list[Guest] = []

    def factory() -> Guest:
        folder = tmp_path_factory.mktemp("guest")
        guest = Guest(folder=folder, disk=make_overlay(guest_base, folder))
        made.append(guest)
        return guest

    yield factory
    for guest in made:
        guest.stop()


@pytest.fixture(scope="module")
def booted_guest(guest_base: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guest]:
    """One guest booted for a whole test module (read-only checks share it)."""
    need_qemu()
    folder = tmp_path_factory.mktemp("guest")
    guest = Guest(folder=folder, disk=make_overlay(guest_base, folder))
    guest.start()
    try:
        guest.wait_http()
        yield guest
    finally:
        guest.stop()


def _auth(password: str = "") -> httpx.BasicAuth:
    return httpx.BasicAuth("admin", password)


def _wait_serial(guest: Guest, text: str, timeout: float = 30.0, count: int = 1) -> str:
    deadline = time.monotonic() + timeout
    log = ""
    while time.monotonic() < deadline:
        log = guest.serial_log.read_text(errors="replace") if guest.serial_log.exists() else ""
        if log.count(text) >= count:
            return log
        time.sleep(0.1)
    pytest.fail(f"{text!r} never appeared on the serial console: {log[-500:]!r}")


def test_root_page_answers_200(booted_guest: Guest) -> None:
    response = httpx.get(booted_guest.url + "/", timeout=10)
    assert response.status_code == 200
    assert "RouterOS" in response.text


def test_system_resource_with_empty_admin_password_is_chr_shaped(booted_guest: Guest) -> None:
    response = httpx.get(booted_guest.url + "/rest/system/resource", auth=_auth(), timeout=10)
    assert response.status_code == 200
    resource = response.json()
    assert resource["board-name"] == "CHR QEMU Standard PC (Q35 + ICH9, 2009)"
    assert resource["architecture-name"] == "x86_64"
    assert resource["platform"] == "MikroTik"
    assert resource["version"] == "7.22.3 (stable)"
    assert all(isinstance(value, str) for value in resource.values())
    for key in ("uptime", "cpu-count", "free-memory", "total-memory", "free-hdd-space",
                "total-hdd-space"):  # fmt: skip
        assert resource[key]
    assert int(resource["free-memory"]) < int(resource["total-memory"])
    assert 100 << 20 < int(resource["total-hdd-space"]) <= 128 << 20


def test_rest_without_or_with_wrong_auth_is_401(booted_guest: Guest) -> None:
    url = booted_guest.url + "/rest/system/resource"
    for auth in (None, _auth("wrong"), httpx.BasicAuth("root", "")):
        response = httpx.get(url, auth=auth, timeout=10)
        assert response.status_code == 401
        assert response.json() == {"error": 401, "message": "Unauthorized"}


def test_unknown_menu_is_404_with_routeros_body(booted_guest: Guest) -> None:
    response = httpx.get(booted_guest.url + "/rest/no/such/menu", auth=_auth(), timeout=10)
    assert response.status_code == 404
    assert response.json()["error"] == 404
    assert "no such command" in response.json()["detail"]


def test_execute_returns_ret(booted_guest: Guest) -> None:
    url = booted_guest.url + "/rest/execute"
    response = httpx.post(url, json={"script": ':put "hello"'}, auth=_auth(), timeout=10)
    assert response.status_code == 200
    assert response.json() == {"ret": "hello"}
    response = httpx.post(url, json={"script": "/ip address print"}, auth=_auth(), timeout=10)
    assert response.json() == {"ret": ""}


def test_serial_console_shows_the_routeros_login_banner(booted_guest: Guest) -> None:
    log = _wait_serial(booted_guest, "Login:")
    assert "MikroTik 7.22.3 (stable)" in log
    assert "MikroTik Login:" in log


def test_serial_console_gives_a_shell_after_login(booted_guest: Guest) -> None:
    with socket.socket(socket.AF_UNIX) as console:
        console.connect(str(booted_guest.folder / "serial.sock"))
        console.sendall(b"admin\n\n")
        _wait_serial(booted_guest, "[admin@MikroTik] >")
        console.sendall(b"echo console-$((6 * 7))\n")
        _wait_serial(booted_guest, "console-42")
        console.sendall(b"exit\n")
        _wait_serial(booted_guest, "Login: admin")


def test_powerdown_over_qmp_makes_qemu_exit_by_itself(new_guest: Callable[[], Guest]) -> None:
    guest = new_guest()
    guest.start()
    guest.wait_http()
    guest.qmp("system_powerdown")
    assert guest.wait_exit(60) == 0, guest.tail()
    assert "Power down" in guest.serial_log.read_text(errors="replace")


def test_password_change_persists_on_the_overlay_and_base_stays_untouched(
    new_guest: Callable[[], Guest], guest_base: Path
) -> None:
    before = hashlib.sha256(guest_base.read_bytes()).hexdigest()
    guest = new_guest()
    guest.start()
    guest.wait_http()
    change = {"old-password": "", "new-password": "s3cret-Pw", "confirm-new-password": "s3cret-Pw"}
    response = httpx.post(guest.url + "/rest/password", json=change, auth=_auth(), timeout=10)
    assert response.status_code == 200
    resource = guest.url + "/rest/system/resource"
    assert httpx.get(resource, auth=_auth(), timeout=10).status_code == 401
    assert httpx.get(resource, auth=_auth("s3cret-Pw"), timeout=10).status_code == 200
    guest.qmp("system_powerdown")
    assert guest.wait_exit(60) == 0, guest.tail()

    guest.start()  # the same overlay again
    guest.wait_http()
    assert httpx.get(resource, auth=_auth(), timeout=10).status_code == 401
    assert httpx.get(resource, auth=_auth("s3cret-Pw"), timeout=10).status_code == 200
    guest.stop()
    assert hashlib.sha256(guest_base.read_bytes()).hexdigest() == before


def test_wrong_old_password_is_refused(booted_guest: Guest) -> None:
    change = {"old-password": "nope", "new-password": "x", "confirm-new-password": "x"}
    url = booted_guest.url + "/rest/password"
    response = httpx.post(url, json=change, auth=_auth(), timeout=10)
    assert response.status_code == 400
    assert response.json()["detail"] == "old password is not valid"


def test_device_mode_update_applies_after_a_power_cycle_only(
    new_guest: Callable[[], Guest],
) -> None:
    guest = new_guest()
    guest.start()
    guest.wait_http()
    mode_url = guest.url + "/rest/system/device-mode"
    assert httpx.get(mode_url, auth=_auth(), timeout=10).json()["container"] == "false"

    # RouterOS answers the update only if no power cycle comes within the activation timeout.
    canceled = httpx.post(
        mode_url + "/update",
        json={"container": "yes", "activation-timeout": "10s"},
        auth=_auth(),
        timeout=60,
    )
    assert canceled.status_code == 400
    assert canceled.json()["detail"] == "update canceled"
    assert httpx.get(mode_url, auth=_auth(), timeout=10).json()["container"] == "false"

    def update() -> None:
        with contextlib.suppress(httpx.HTTPError):  # the power cycle cuts the request
            httpx.post(mode_url + "/update", json={"container": "yes"}, auth=_auth(), timeout=5)

    waiting = threading.Thread(target=update)
    waiting.start()
    _wait_serial(guest, "device-mode: update pending", count=2)
    guest.qmp("system_reset")
    waiting.join()
    guest.wait_http()
    assert httpx.get(mode_url, auth=_auth(), timeout=10).json()["container"] == "true"


def test_device_mode_update_refuses_bad_arguments(booted_guest: Guest) -> None:
    url = booted_guest.url + "/rest/system/device-mode/update"
    cases = [
        ({"container": "yes", "nonexistent": "1"}, "unknown parameter nonexistent"),
        ({"mode": "weird"}, "input does not match any value of mode"),
        (
            {"container": "yes", "activation-timeout": "5s"},
            "value of activation-timeout is out of range (00:00:10 .. 1d00:00:00)",
        ),
    ]
    for args, detail in cases:
        response = httpx.post(url, json=args, auth=_auth(), timeout=10)
        assert response.status_code == 400
        assert response.json() == {"detail": detail, "error": 400, "message": "Bad Request"}


def test_package_list_names_routeros_at_the_guest_version(booted_guest: Guest) -> None:
    response = httpx.get(booted_guest.url + "/rest/system/package", auth=_auth(), timeout=10)
    (package,) = response.json()
    assert package["name"] == "routeros"
    assert package["version"] == "7.22.3"
