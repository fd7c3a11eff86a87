"""First-boot provisioning over REST: the admin password, device-mode, and fixes after a restore.

The password is generated unless the user gives one (never on argv: ``--password-stdin``), set
through ``/user/set`` and kept in the machine folder with mode 0600. Device-mode changes need a
power cycle that RouterOS waits for: the update is sent, then the machine is reset through QMP.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime

from mikrodock.chr.boot import password_of
from mikrodock.chr.qmp import qmp_call
from mikrodock.chr.state import MachineRecord, save_record
from mikrodock.errors import MikrodockError
from mikrodock.paths import atomic_write
from mikrodock.routeros.client import RouterOS

__all__ = ["generate_password", "router_for", "set_clock", "set_device_mode", "set_password"]

PASSWORD_FILE = "password"


def generate_password() -> str:
    return secrets.token_urlsafe(18)


def router_for(record: MachineRecord) -> RouterOS:
    return RouterOS(record.url, record.user, password_of(record))


def set_password(record: MachineRecord, password: str) -> None:
    """Give ``admin`` ``password`` and keep it (0600) in the machine folder."""
    with router_for(record) as ros:
        ros.command("user", "set", {"numbers": record.user, "password": password})
    atomic_write(record.dir / PASSWORD_FILE, password + "\n", mode=0o600)
    record.password_file = PASSWORD_FILE
    save_record(record)


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
    if errors and "connection" not in str(errors[0]).lower():
        raise errors[0]
    qmp_call(record.dir / "qmp.sock", "system_reset")
    time.sleep(0.5)


def set_clock(record: MachineRecord) -> None:
    """Best effort after a restore: the router's clock is wherever it was when saved."""
    now = datetime.now(UTC)
    try:
        with router_for(record) as ros:
            ros.command(
                "system/clock",
                "set",
                {
                    "date": now.strftime("%Y-%m-%d"),
                    "time": now.strftime("%H:%M:%S"),
                    "time-zone-name": "UTC",
                },
            )
    except MikrodockError:
        pass
