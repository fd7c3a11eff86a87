"""``/system/resource``: the fields a CHR reports, for the simulated architecture.

Field names follow what a CHR answers (``architecture-name``, ``board-name``, ``cpu``, memory
and disk counters, ``uptime``, ``version`` with its channel, ...). Disk space shrinks with what
``/file`` holds; memory and CPU figures are fixed, plausible numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mikrodock.routeros.values import format_duration
from mikrodock.sim.base import MenuSpec
from mikrodock.sim.state import Item

if TYPE_CHECKING:
    from mikrodock.sim.router import SimRouter

__all__ = ["IMAGE_ARCH", "resource", "specs"]

TOTAL_MEMORY = 1024 * 1024 * 1024
TOTAL_HDD = 1024 * 1024 * 1024
_SYSTEM_BYTES = 96 * 1024 * 1024

_CPU = {"x86_64": ("Common", "2099"), "arm64": ("ARM64", "2000"), "arm": ("ARMv7", "1400")}

IMAGE_ARCH = {"x86_64": "amd64", "arm64": "arm64", "arm": "arm"}
"""``architecture-name`` -> the ``arch`` a container record shows."""


def _channel(router: SimRouter) -> str:
    version = router.version
    if version.channel:
        return version.channel
    return "testing" if version.is_prerelease else "stable"


def resource(router: SimRouter) -> Item:
    arch = router.options.arch
    cpu, frequency = _CPU[arch]
    used = sum(int(f.get("size", "0") or 0) for f in router.state.menu("file").items)
    # no bad-blocks: a CHR leaves it out (7.19.4 capture), though the tree lists it
    return {
        "architecture-name": arch,
        "board-name": "CHR",
        "build-time": "2026-01-01 10:00:00",
        "cpu": cpu,
        "cpu-count": "2",
        "cpu-frequency": frequency,
        "cpu-load": "1",
        "factory-software": "7.1",
        "free-hdd-space": str(max(0, TOTAL_HDD - _SYSTEM_BYTES - used)),
        "free-memory": str(TOTAL_MEMORY - 210 * 1024 * 1024),
        "platform": "MikroTik",
        "total-hdd-space": str(TOTAL_HDD),
        "total-memory": str(TOTAL_MEMORY),
        "uptime": format_duration(int(router.uptime())) if router.uptime() >= 1 else "0s",
        "version": f"{router.version} ({_channel(router)})",
        "write-sect-since-reboot": "1024",
        "write-sect-total": "4096",
    }


def specs() -> list[MenuSpec]:
    return [
        MenuSpec(
            "system/resource",
            kind="singleton",
            writable=False,
            source=lambda router: [resource(router)],
        )
    ]
