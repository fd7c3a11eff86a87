"""The containerlab ``mikrotik_ros`` node contract, as the image of ``chr dockerfile`` keeps it.

containerlab (and so clabernetes) starts a node of kind ``mikrotik_ros`` with the arguments
``--username U --password P --hostname H --connection-mode tc [--trace]``, sets the environment
``USERNAME``, ``PASSWORD`` and ``CONNECTION_MODE``, bind-mounts the lab's ``ftpboot`` folder at
``/ftpboot`` (the startup configuration is ``/ftpboot/config.auto.rsc``), puts management on
``eth0`` and adds the data interfaces ``eth1..ethN`` after the container started; RouterOS
``ether(N+1)`` is ``ethN`` (containerlab's ``nodes/vr_ros`` and vrnetlab's MikroTik launcher).

Here: :class:`NodeIdentity` is who the router is (user, password, hostname) and
:func:`apply_identity` makes it so over REST after the router is ready; the data interfaces are
:mod:`mikrodock.chr.docker.datalinks`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mikrodock.chr.provision import router_for
from mikrodock.chr.state import MachineRecord
from mikrodock.errors import UsageError

__all__ = [
    "CLAB_STARTUP",
    "CONNECTION_MODES",
    "NodeIdentity",
    "apply_identity",
    "check_connection_mode",
    "default_startup",
]

CLAB_STARTUP = Path("/ftpboot/config.auto.rsc")
"""where containerlab puts a mikrotik_ros node's startup-config"""
CONNECTION_MODES = ("tc",)
"""containerlab's ``--connection-mode`` values this image honours (``tc``: tc mirred between
the container's ethN and the router's NIC)"""


@dataclass(frozen=True)
class NodeIdentity:
    username: str = "admin"
    hostname: str = ""
    """``/system identity``; empty: leave it as it is"""


def check_connection_mode(mode: str) -> None:
    if mode not in CONNECTION_MODES:
        raise UsageError(
            f"connection mode {mode!r} is not supported",
            hint="use --connection-mode tc (containerlab's default for mikrotik_ros)",
        )


def default_startup(given: Path | None, ftpboot: Path = CLAB_STARTUP) -> Path | None:
    """The startup script to run once: the one given, else containerlab's when it is there."""
    if given is not None:
        return given
    return ftpboot if ftpboot.is_file() else None


def apply_identity(record: MachineRecord, identity: NodeIdentity, password: str) -> list[str]:
    """Set the router's identity, and give a user other than ``admin`` full rights with the
    admin's password; returns what was done (for the log, never the password)."""
    done: list[str] = []
    with router_for(record) as ros:
        if identity.hostname:
            ros.command("system/identity", "set", {"name": identity.hostname})
            done.append(f"identity {identity.hostname}")
        if identity.username and identity.username != record.user:
            users = {user.get("name") for user in ros.print("user", proplist=["name"])}
            if identity.username not in users:
                ros.add("user", {"name": identity.username, "password": password, "group": "full"})
                done.append(f"user {identity.username} (group full)")
    return done
