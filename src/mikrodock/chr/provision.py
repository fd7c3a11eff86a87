"""First-boot provisioning over REST: the admin password, device-mode, and fixes after a restore.

The password is generated unless the user gives one (never on argv: ``--password-stdin``), set
through ``/user/set`` and kept in the machine folder with mode 0600. Device-mode changes need a
power cycle that RouterOS waits for: the update is sent, then the machine is reset through QMP.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime

from mikrodock.chr.boot import password_of
from mikrodock.chr.qmp import qmp_call
from mikrodock.chr.state import MachineRecord
from mikrodock.errors import ConnectionFailed, MikrodockError
from mikrodock.paths import atomic_write
from mikrodock.routeros.client import AsyncRouterClient, RouterClient
from mikrodock.routeros.connect import Endpoint, connect, connect_sync
from mikrodock.routeros.loop import run_sync

__all__ = [
    "after_restore",
    "generate_password",
    "router_for",
    "set_device_mode",
    "set_password",
]

PASSWORD_FILE = "password"


def generate_password() -> str:
    return secrets.token_urlsafe(18)


def endpoint_of(record: MachineRecord) -> Endpoint:
    """The machine as a router target (its forwarded REST URL, user and password)."""
    return Endpoint(record.url, record.user, password_of(record))


def router_for(record: MachineRecord) -> RouterClient:
    return connect_sync(endpoint_of(record))


def set_password(record: MachineRecord, password: str) -> None:
    """Give ``admin`` ``password`` and keep it (0600) in the machine folder; the record names
    the file (the caller saves it)."""
    with router_for(record) as ros:
        ros.command("user", "set", {"numbers": record.user, "password": password})
    atomic_write(record.dir / PASSWORD_FILE, password + "\n", mode=0o600)
    record.password_file = PASSWORD_FILE


def set_device_mode(record: MachineRecord, changes: Mapping[str, str]) -> None:
    """``/system/device-mode/update`` then a QMP reset: the power cycle RouterOS waits for."""
    errors: list[BaseException] = []

    def send() -> None:
        try:
            with router_for(record) as ros:
                ros.command("system/device-mode", "update", dict(changes))
        except MikrodockError as exc:  # the connection drops when the machine resets
            errors.append(exc)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    sender.join(timeout=3.0)
    if errors and not isinstance(errors[0], ConnectionFailed):
        raise errors[0]
    qmp_call(record.dir / "qmp.sock", "system_reset")
    time.sleep(0.5)


def _clock_now() -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "date": now.strftime("%Y-%m-%d"),
        "time": now.strftime("%H:%M:%S"),
        "time-zone-name": "UTC",
    }


def after_restore(record: MachineRecord, *, new_mac: bool) -> list[str]:
    """Fix what a restored memory image gets wrong; returns notes on what could not be fixed.

    The clock is wherever it was when the snapshot was saved: set it to now (UTC). A clone
    also carries its source's MAC address (QEMU restores the NIC's state, address included,
    whatever the command line says): with ``new_mac``, ether1 is given the machine's own
    address, which is also the NIC's address on the command line from its next boot on.
    Both requests go out at once (a freshly restored guest under emulation answers its first
    requests slowly; side by side they share that warm-up).
    """

    async def fix(ros: AsyncRouterClient, what: str, menu: str, body: dict[str, str]) -> str | None:
        try:
            await ros.command(menu, "set", body)
        except MikrodockError as exc:
            return f"{what}: {exc}"
        return None

    async def work() -> list[str | None]:
        async with connect(endpoint_of(record)) as ros:
            jobs = [fix(ros, "the clock was not set", "system/clock", _clock_now())]
            if new_mac:
                change = {"numbers": "ether1", "mac-address": record.mac}
                what = "ether1 keeps its source's MAC address"
                jobs.append(fix(ros, what, "interface/ethernet", change))
            return list(await asyncio.gather(*jobs))

    try:
        return [note for note in run_sync(work()) if note]
    except MikrodockError as exc:
        return [f"could not reach the router after the restore: {exc}"]
