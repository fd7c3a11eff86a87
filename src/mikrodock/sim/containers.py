"""``/container``: the lifecycle state machine, and its envs, mounts, config and log menus.

Phases (kept in the item's ``_phase``, with ``_due`` = when the passing phase ends)::

    add (remote-image= or file=) -> extracting --delay--> stopped
                                    (or error: a bad archive, or an image the test made fail)
    start:   stopped -> starting --delay--> running     (pre-7.20: straight to running)
    stop:    running/starting -> stopping --delay--> stopped
    kill:    running/starting/stopping -> stopped (INT, QUIT, KILL, TERM; others change nothing)
    repull:  stopped/error -> extracting
    remove:  400 while starting, running or stopping
    boot:    running/starting/stopping -> stopped, then start-on-boot=yes ones start

How a record shows its phase, its image and its read-only fields, by version, is in
:mod:`mikrodock.sim.container_facts` (with sources; where they are silent the simulator plays
the picked candidate). Every write needs device-mode ``container=yes``.

``/container/layers`` (7.21+) lists one layer per distinct image that containers hold (its
fields are guessed: ``digest``, ``size``, ``image``).

When a container reaches ``running`` it "prints" (see :mod:`mikrodock.sim.shell`): the lines
go to ``/container/log`` (7.20+) and, with ``logging=yes``, to ``/log`` under topics
``container,info`` as ``NAME: LINE``, after a ``NAME: started`` line.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from mikrodock.sim import container_facts as facts
from mikrodock.sim import logs, shell
from mikrodock.sim.base import CommandHandler, MenuSpec, RestError, bad_request
from mikrodock.sim.files import file_bytes, find_file
from mikrodock.sim.resources import IMAGE_ARCH
from mikrodock.sim.state import Item

if TYPE_CHECKING:
    from mikrodock.sim.router import SimRouter

__all__ = ["advance", "on_boot", "specs"]

_BUSY = ("starting", "running", "stopping")


def _containers(router: SimRouter) -> list[Item]:
    return router.state.menu("container").items


def _set_phase(router: SimRouter, item: Item, phase: str, delay: float | None = None) -> None:
    item["_phase"] = phase
    if delay is None:
        item.pop("_due", None)
    else:
        item["_due"] = repr(router.now() + delay)
    router.state.touch()
    if phase == "running":
        _started(router, item)


def _started(router: SimRouter, item: Item) -> None:
    name = item.get("name", "")
    lines = shell.stdout_lines(item)
    if router.available("container/log"):
        menu = router.state.menu("container/log")
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(router.now()))
        for line in lines:
            menu.add({"container": name, "time": stamp, "message": line})
    if item.get("logging") == "true":
        for line in ["started", *lines]:
            logs.append(router, "container,info", f"{name}: {line}")


def advance(router: SimRouter, now: float) -> None:
    """Finish every passing phase whose time has come."""
    for item in _containers(router):
        due = item.get("_due")
        if due is None or float(due) > now:
            continue
        phase = item.get("_phase")
        if phase == "extracting":
            _set_phase(router, item, "error" if item.get("_error") else "stopped")
        elif phase == "starting":
            _set_phase(router, item, "running")
        elif phase == "stopping":
            _set_phase(router, item, "stopped")
        else:
            item.pop("_due", None)


def on_boot(router: SimRouter) -> None:
    for item in _containers(router):
        if item.get("_phase") in _BUSY:
            _set_phase(router, item, "stopped")
        if item.get("_phase") == "stopped" and item.get("start-on-boot") == "true":
            _start(router, item)


def _start(router: SimRouter, item: Item) -> None:
    if facts.uses_flags(router):
        _set_phase(router, item, "starting", router.delays.start)
    else:
        _set_phase(router, item, "running")


# --- records -------------------------------------------------------------------------------
def _defaults(router: SimRouter) -> Item:
    item: Item = {
        "name": "",
        "os": "linux",
        "arch": IMAGE_ARCH[router.options.arch],
        "interface": "",
        "root-dir": "",
        "cmd": "",
        "entrypoint": "",
        "workdir": "",
        "hostname": "",
        "dns": "",
        "domain-name": "",
        "logging": "false",
        "start-on-boot": "false",
        "stop-signal": "15",
        "user": "",
        facts.env_list_arg(router): "",
        facts.mount_list_arg(router): "",
    }
    if facts.has_arg(router, "container", "add", "memory-high"):
        item["memory-high"] = "unlimited"
    return item


def _image_field(router: SimRouter) -> str:
    return facts.image_field(router)


def _digest(image: str) -> str:
    """A stable, made-up layer digest for an image name (the simulator downloads nothing)."""
    return "sha256:" + hashlib.sha256(image.encode()).hexdigest()


def _registry(router: SimRouter) -> str:
    return router.state.singleton("container/config").get("registry-url", "")


def _take_image(router: SimRouter, item: Item) -> None:
    """Turn ``remote-image=``/``file=`` into the image field, and start extracting."""
    remote, archive = item.pop("remote-image", ""), item.pop("file", "")
    item.pop("_error", None)
    if remote:
        item[_image_field(router)] = shell.image_name(remote, _registry(router))
        item["_digest"] = _digest(item[_image_field(router)])
        item["_remote"] = remote
        for pattern, error in router.image_failures.items():
            if fnmatchcase(remote, pattern):
                item["_error"] = error
    elif archive:
        found = find_file(router, archive)
        if found is None:
            raise bad_request(f"failure: file {archive} not found")
        name, error = shell.check_archive(file_bytes(found))
        item[_image_field(router)] = name or archive
        item["_digest"] = _digest(item[_image_field(router)])
        if error:
            item["_error"] = error
    else:
        raise bad_request("failure: remote-image or file is required")
    _set_phase(router, item, "extracting", router.delays.extract)


def _on_add(router: SimRouter, item: Item) -> None:
    interface = item.get("interface", "")
    if interface:
        names = {v.get("name") for v in router.state.menu("interface/veth").items}
        if interface not in names:
            raise bad_request("input does not match any value of interface")
    if not item.get("name"):
        item["name"] = str(uuid.uuid4())
    _take_image(router, item)


def _on_set(router: SimRouter, item: Item, props: dict[str, str]) -> None:
    if "remote-image" in props or "file" in props:
        if item.get("_phase") in _BUSY:
            raise bad_request("failure: container is running, stop it first")
        item["remote-image"] = props.pop("remote-image", "")
        item["file"] = props.pop("file", "")
        _take_image(router, item)


def _on_remove(router: SimRouter, item: Item) -> None:
    if item.get("_phase") in _BUSY:
        raise bad_request("failure: container is running, stop it first")


def _view(router: SimRouter, item: Item) -> Item:
    shown = dict(item)
    shown.update(facts.read_only_fields(router, item))
    shown.update(facts.state_fields(router, item))
    return shown


def _layers(router: SimRouter) -> list[Item]:
    """One layer per distinct image that an extracted (or extracting) container holds."""
    seen: dict[str, Item] = {}
    for item in _containers(router):
        digest = item.get("_digest")
        if digest and item.get("_phase") != "error" and digest not in seen:
            image = item.get("tag") or item.get("repo") or ""
            seen[digest] = {
                ".id": f"*{len(seen) + 1:X}",
                "digest": digest,
                "image": image,
                "size": str(4 * 1024 * 1024),
            }
    return list(seen.values())


# --- commands ------------------------------------------------------------------------------
def _targets(router: SimRouter, args: dict[str, str]) -> list[Item]:
    words = args.get("numbers") or args.get("number") or args.get(".id") or ""
    found = []
    for word in (w.strip() for w in words.split(",") if w.strip()):
        match = next((i for i in _containers(router) if word in (i[".id"], i.get("name"))), None)
        if match is None:
            raise bad_request("no such item")
        found.append(match)
    if not found:
        raise bad_request(f"missing ={facts.item_arg(router, 'start')}=")
    return found


def _cmd_start(router: SimRouter, args: dict[str, str]) -> list[Any]:
    for item in _targets(router, args):
        phase = item.get("_phase")
        if phase == "extracting":
            raise bad_request("failure: container is not extracted yet")
        if phase == "error":
            raise bad_request(f"failure: {item.get('_error', 'image is not usable')}")
        if phase in ("stopped", "stopping"):
            _start(router, item)
    return []


def _cmd_stop(router: SimRouter, args: dict[str, str]) -> list[Any]:
    for item in _targets(router, args):
        if item.get("_phase") in ("running", "starting"):
            _set_phase(router, item, "stopping", router.delays.stop)
    return []


_ENDING_SIGNALS = {"", "2", "3", "9", "15"}
"""Signals (by number) the simulated main process dies of: INT, QUIT, KILL, TERM (and none
given). Others, such as HUP or USR1, are taken as handled (nginx reloads on HUP)."""


def _cmd_kill(router: SimRouter, args: dict[str, str]) -> list[Any]:
    if args.get("signal", "").strip() not in _ENDING_SIGNALS:
        _targets(router, args)  # still 404s an unknown id
        return []
    for item in _targets(router, args):
        if item.get("_phase") in _BUSY:
            _set_phase(router, item, "stopped")
    return []


def _cmd_restart(router: SimRouter, args: dict[str, str]) -> list[Any]:
    for item in _targets(router, args):
        if item.get("_phase") in _BUSY:
            item["_restarts"] = str(int(item.get("_restarts", "0")) + 1)
            _set_phase(router, item, "stopped")
            _start(router, item)
    return []


def _cmd_repull(router: SimRouter, args: dict[str, str]) -> list[Any]:
    for item in _targets(router, args):
        if item.get("_phase") in _BUSY:
            raise bad_request("failure: container is running, stop it first")
        item["remote-image"] = args.get("remote-image") or item.get("_remote", "")
        item["file"] = args.get("file", "") if not item["remote-image"] else ""
        _take_image(router, item)
    return []


def _cmd_shell(router: SimRouter, args: dict[str, str]) -> dict[str, str]:
    item = _targets(router, args)[0]
    if "cmd" not in args:
        raise bad_request("failure: an interactive shell needs a terminal; give cmd=")
    if item.get("_phase") != "running":
        raise bad_request("failure: container is not running")
    return {"ret": shell.run(router, item, args["cmd"])}


def _not_simulated(command: str) -> CommandHandler:
    def handler(router: SimRouter, args: dict[str, str]) -> Any:
        raise RestError(400, f"failure: the simulator does not implement container/{command}")

    return handler


def _config_seed(router: SimRouter) -> list[Item]:
    item: Item = {"registry-url": "https://registry-1.docker.io", "tmpdir": "", "username": ""}
    for name in ("memory-high", "ram-high"):
        if facts.has_arg(router, "container/config", "set", name):
            item[name] = "unlimited"
            break
    if facts.has_arg(router, "container/config", "set", "layer-dir"):
        item["layer-dir"] = ""
    return [item]


def specs() -> list[MenuSpec]:
    commands: dict[str, CommandHandler] = {
        "start": _cmd_start,
        "stop": _cmd_stop,
        "kill": _cmd_kill,
        "restart": _cmd_restart,
        "repull": _cmd_repull,
        "shell": _cmd_shell,
    }
    for name in ("run", "update", "save"):
        commands[name] = _not_simulated(name)
    return [
        MenuSpec(
            "container",
            package="container",
            unique="name",
            gated=True,
            defaults=_defaults,
            on_add=_on_add,
            on_set=_on_set,
            on_remove=_on_remove,
            view=_view,
            commands=commands,
        ),
        MenuSpec(
            "container/envs",
            package="container",
            gated=True,
            defaults=lambda router: {"key": "", "value": ""},
        ),
        MenuSpec(
            "container/mounts",
            package="container",
            gated=True,
            defaults=lambda router: {"src": "", "dst": ""},
        ),
        MenuSpec(
            "container/config",
            kind="singleton",
            package="container",
            gated=True,
            seed=_config_seed,
            view=lambda router, item: {k: v for k, v in item.items() if k != "password"},
        ),
        MenuSpec("container/log", package="container", writable=False),
        MenuSpec("container/layers", package="container", writable=False, source=_layers),
    ]
