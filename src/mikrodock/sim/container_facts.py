"""How RouterOS shows a ``/container`` record, by version: facts the command trees do not hold.

The trees say which *arguments* exist (the simulator asks them through
:meth:`SimRouter.args`); what a record *prints* (its state, its image field, its read-only
counters) is not in them. Each fact below names its source; ``guessed`` marks what no public
source shows. docs/SIM.md has the same list for readers.

State
    Up to 7.19 one ``status`` string: ``stopped``, ``running``, ``stopping``, ``extracting``,
    ``error`` (WebFig's container form of 7.17.2 lists it as an enum). From 7.20 flags, each a
    field of its own over REST (``"stopped":"true"``): MikroTik's CLI reference for ``/container``
    names them stopped, starting, running, stopping, ``downloading/extracting``, deleting,
    ``download/extract failed``, starting-with-healthcheck, healthy, unhealthy; WebFig of
    7.20.1/7.22.2/7.23.1 shows the same set; REST clients read ``"downloading/extracting"`` and
    ``"download/extract failed"`` literally (names with ``/`` and a space). Flags are not
    exclusive: a record that is downloading or extracting also reads ``stopped`` (a REST client's
    changelog, seen on 7.2x), a failed one also reads ``stopped``, and a container with a health
    check reads ``starting-with-healthcheck`` while starting and ``healthy`` (without ``running``)
    once up (a live test on 7.23.7). The ``flag-names`` and ``flags`` candidates
    (:mod:`mikrodock.sim.candidates`) play the other readings.
Image
    ``tag`` up to 7.17, ``repo`` on 7.18-7.19, open from 7.20 (candidate ``image-field``).
Read-only fields (all guessed as to the first version, unless said)
    ``os``, ``arch``: every version. ``memory-current`` (seen on 7.23.7), ``cpu-usage``: while
    running, from 7.20 (when per-container limits arrive). ``image-id`` and ``layers``: from
    7.21, with ``/container/layers``. ``env-current``: from 7.21, with inline ``env=``.
    ``restart-count``: from 7.23, with ``restart-policy``. ``healthcheck-status``: containers
    with a health check (a REST client reads it; values guessed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mikrodock.routeros.version import parse_version
from mikrodock.sim.candidates import pick
from mikrodock.sim.state import Item

if TYPE_CHECKING:
    from mikrodock.sim.router import SimRouter

__all__ = [
    "env_list_arg",
    "envs_group_key",
    "flag_fields",
    "has_arg",
    "image_field",
    "item_arg",
    "mount_list_arg",
    "mounts_group_key",
    "read_only_fields",
    "state_fields",
    "uses_flags",
]

_FLAGS_SINCE = parse_version("7.20")
_V721 = parse_version("7.21")
_V723 = parse_version("7.23")

_DOCUMENTED = {"extracting": "downloading/extracting", "failed": "download/extract failed"}
_SHORT = {"extracting": "extracting", "failed": "failed"}


# --- what the command tree says (does argument X exist here) ---------------------------------
def has_arg(router: SimRouter, menu: str, command: str, arg: str) -> bool:
    return arg in (router.args(menu, command) or frozenset())


def env_list_arg(router: SimRouter) -> str:
    return "envlists" if has_arg(router, "container", "add", "envlists") else "envlist"


def envs_group_key(router: SimRouter) -> str:
    return "list" if has_arg(router, "container/envs", "add", "list") else "name"


def mount_list_arg(router: SimRouter) -> str:
    return "mountlists" if has_arg(router, "container", "add", "mountlists") else "mounts"


def mounts_group_key(router: SimRouter) -> str:
    return "list" if has_arg(router, "container/mounts", "add", "list") else "name"


def item_arg(router: SimRouter, command: str) -> str:
    """``numbers`` or ``number``: what ``container/<command>`` names its item by here."""
    return "numbers" if has_arg(router, "container", command, "numbers") else "number"


# --- what a record prints ------------------------------------------------------------------------
def uses_flags(router: SimRouter) -> bool:
    return router.version >= _FLAGS_SINCE


def image_field(router: SimRouter) -> str:
    return pick("image-field", router.version, router.options.candidates)


def flag_fields(router: SimRouter) -> tuple[str, ...]:
    """The flag fields a 7.20+ record carries (with the picked names)."""
    names = _names(router)
    out = ["stopped", "starting", "running", "stopping", names["extracting"], "deleting"]
    out.append(names["failed"])
    if has_arg(router, "container", "add", "healthcheck-cmd"):
        out += ["starting-with-healthcheck", "healthy", "unhealthy"]
    return tuple(out)


def _names(router: SimRouter) -> dict[str, str]:
    if pick("flag-names", router.version, router.options.candidates) == "short":
        return _SHORT
    return _DOCUMENTED


def state_fields(router: SimRouter, item: Item) -> Item:
    """The fields that show the container's phase (``_phase``) on this version."""
    phase = item.get("_phase", "stopped")
    if not uses_flags(router):
        return {"status": phase}
    names = _names(router)
    checked = bool(item.get("healthcheck-cmd"))
    on = {
        "extracting": {names["extracting"], "stopped"},
        "error": {names["failed"], "stopped"},
        "stopped": {"stopped"},
        "starting": {"starting-with-healthcheck" if checked else "starting"},
        "running": {"healthy" if checked else "running"},
        "stopping": {"stopping"},
    }.get(phase, {"stopped"})
    if pick("flags", router.version, router.options.candidates) == "set":
        shown = {name: "true" for name in flag_fields(router) if name in on}
    else:
        shown = {name: "true" if name in on else "false" for name in flag_fields(router)}
    if phase == "error":
        shown["error"] = item.get("_error", "")  # guessed: where the failure's text shows
    return shown


def read_only_fields(router: SimRouter, item: Item) -> Item:
    """The read-only fields of a record (see the module docstring for what is guessed)."""
    out: Item = {"os": "linux", "arch": item.get("arch", "")}
    phase = item.get("_phase", "stopped")
    if uses_flags(router) and phase == "running":
        out["cpu-usage"] = "0%"
        out["memory-current"] = "4.0MiB"
    if router.version >= _V721 and item.get("_digest"):
        out["image-id"] = item["_digest"].removeprefix("sha256:")[:12]
        out["layers"] = item["_digest"]
    if router.version >= _V721:
        out["env-current"] = ",".join(f"{k}={v}" for k, v in _env(router, item))
    if router.version >= _V723:
        out["restart-count"] = item.get("_restarts", "0")
    if item.get("healthcheck-cmd") and router.version >= _FLAGS_SINCE:
        out["healthcheck-status"] = "healthy" if phase == "running" else "starting"
    return out


def _env(router: SimRouter, item: Item) -> list[tuple[str, str]]:
    from mikrodock.sim.shell import environment  # shell imports this module

    return environment(router, item)
