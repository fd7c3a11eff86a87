"""Packages, device-mode, identity and reboots: what decides whether containers may run.

``/system/package`` lists ``routeros``, ``container`` and the extra packages the router started
with (``SimOptions.extra_packages``); without the container package the
``container`` row shows as available but disabled (as after ``check-for-updates``). It gets
installed by ``enable`` plus a reboot (``apply-changes`` or ``/system/reboot``), or by
uploading ``container-<version>[-<arch>].npk`` to ``/file`` and rebooting.

``/system/device-mode/update container=yes`` does not block as on a real router: it records
the change as pending and answers at once; a power cycle (``POST /sim/power-cycle``) within
``activation-timeout`` (default 5m) confirms it, a plain reboot does not.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from mikrodock.routeros.values import parse_duration
from mikrodock.sim.base import BOOL_ARGS, CommandHandler, MenuSpec, bad_request
from mikrodock.sim.state import Item

if TYPE_CHECKING:
    from mikrodock.sim.router import SimRouter

__all__ = ["apply_scheduled", "confirm_device_mode", "specs"]

_BUILD_TIME = "2026-01-01 10:00:00"
_SIZES = {"routeros": "20706188", "container": "897169"}
_IDS = {"routeros": "*1", "container": "*2"}


def _packages(router: SimRouter) -> list[Item]:
    rows = []
    extras = sorted(router.options.extra_packages - {"routeros", "container"})
    for name in ("routeros", "container", *extras):
        installed = router.package_installed(name)
        rows.append(
            {
                ".id": _IDS.get(name) or f"*{3 + extras.index(name):X}",
                "name": name,
                "version": str(router.version) if installed else "",
                "build-time": _BUILD_TIME if installed else "",
                "size": _SIZES.get(name, "1048576"),
                "disabled": "false" if installed else "true",
                "available": "false" if installed else "true",
                "scheduled": router.state.flags.get(f"{name}-scheduled", ""),
            }
        )
    return rows


def _targets(router: SimRouter, args: dict[str, str]) -> list[str]:
    names = []
    for word in args.get("numbers", "").split(","):
        word = word.strip()
        name = next((n for n, i in _IDS.items() if word in (n, i)), None)
        if name is None:
            raise bad_request("no such item")
        names.append(name)
    return names


def _schedule(state: str) -> CommandHandler:
    def command(router: SimRouter, args: dict[str, str]) -> list[Any]:
        for name in _targets(router, args):
            if name == "routeros":
                raise bad_request("failure: can not disable the system package")
            installed = router.package_installed(name)
            wanted = state == "enable"
            key = f"{name}-scheduled"
            if installed == wanted:
                router.state.flags.pop(key, None)
            else:
                router.state.flags[key] = f"scheduled for {state}"
        return []

    return command


def _unschedule(router: SimRouter, args: dict[str, str]) -> list[Any]:
    for name in _targets(router, args):
        router.state.flags.pop(f"{name}-scheduled", None)
    return []


def _apply_changes(router: SimRouter, args: dict[str, str]) -> list[Any]:
    router.reboot()
    return []


def apply_scheduled(router: SimRouter) -> None:
    """Boot-time package changes: scheduled enables/disables and uploaded ``.npk`` files."""
    flags = router.state.flags
    scheduled = flags.pop("container-scheduled", "")
    if scheduled.endswith("enable"):
        flags["container-package"] = "installed"
    elif scheduled.endswith("disable"):
        flags["container-package"] = ""
    pattern = re.compile(rf"^container-{re.escape(str(router.version))}(-[a-z0-9_]+)?\.npk$")
    files = router.state.menu("file")
    for item in list(files.items):
        if pattern.match(item.get("name", "").rsplit("/", 1)[-1]):
            flags["container-package"] = "installed"
            files.remove(item)
    router.state.touch()


# --- device-mode ------------------------------------------------------------------------
def _device_mode_seed(router: SimRouter) -> list[Item]:
    features = (
        "bandwidth-test",
        "email",
        "fetch",
        "hotspot",
        "ipsec",
        "l2tp",
        "pptp",
        "proxy",
        "romon",
        "scheduler",
        "smb",
        "sniffer",
        "socks",
        "zerotier",
    )
    item = {
        "allowed-versions": "7.13+,6.49.8+",
        "attempt-count": "0",
        "mode": "advanced",
        "flagged": "false",
        "flagging-enabled": "true",
        "install-any-version": "false",
        "partitions": "false",
        "routerboard": "false",
        "traffic-gen": "false",
    }
    item.update({name: "true" for name in features})
    return [item]


def _device_mode_view(router: SimRouter, item: Item) -> Item:
    return {**item, "container": router.state.flags.get("device-mode-container", "false")}


def _device_mode_update(router: SimRouter, args: dict[str, str]) -> list[Any]:
    timeout = args.pop("activation-timeout", "5m")
    try:
        seconds = parse_duration(timeout)
    except ValueError:
        raise bad_request("value of activation-timeout is out of range") from None
    if not 10 <= seconds <= 86400:
        raise bad_request("value of activation-timeout is out of range (00:00:10 .. 1d00:00:00)")
    if "mode" in args and args["mode"] not in (
        "advanced",
        "home",
        "enterprise",
        "basic",
        "rose",
        "traffic-gen",
    ):
        raise bad_request("input does not match any value of mode")
    changes = {k: v for k, v in args.items() if k in BOOL_ARGS or k == "mode"}
    if changes:
        router.state.flags["device-mode-pending"] = ",".join(f"{k}={v}" for k, v in changes.items())
        router.state.flags["device-mode-deadline"] = str(router.now() + seconds)
    return []


def confirm_device_mode(router: SimRouter, pending: str) -> None:
    """A power cycle confirmed ``pending`` (``key=value,...``): make it so."""
    mode = router.state.singleton("system/device-mode")
    for pair in pending.split(","):
        key, _, value = pair.partition("=")
        if key == "container":
            router.state.flags["device-mode-container"] = value
        else:
            mode[key] = value
    router.state.touch()


def _reboot(router: SimRouter, args: dict[str, str]) -> list[Any]:
    router.reboot()
    return []


def specs() -> list[MenuSpec]:
    return [
        MenuSpec(
            "system/package",
            writable=False,
            source=_packages,
            commands={
                "enable": _schedule("enable"),
                "disable": _schedule("disable"),
                "uninstall": _schedule("disable"),
                "unschedule": _unschedule,
                "apply-changes": _apply_changes,
            },
        ),
        MenuSpec(
            "system/device-mode",
            kind="singleton",
            writable=False,
            seed=_device_mode_seed,
            view=_device_mode_view,
            commands={"update": _device_mode_update},
        ),
        MenuSpec(
            "system/identity",
            kind="singleton",
            seed=lambda router: [{"name": "MikroTik"}],
            builtin_args={
                "set": frozenset({"name"}),
                "print": frozenset({"proplist"}),
                "get": frozenset({"value-name"}),
            },
        ),
        MenuSpec(
            "system",
            kind="commands",
            commands={"reboot": _reboot, "shutdown": _reboot},
            builtin_args={"reboot": frozenset(), "shutdown": frozenset()},
        ),
        MenuSpec(
            "disk",
            writable=False,
            builtin_args={"print": frozenset({"proplist", "where", "detail"})},
        ),
    ]
