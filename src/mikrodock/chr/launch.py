"""``chr run`` and ``chr run --from``: one :class:`~mikrodock.chr.machine.RunRequest`, two ways.

A request with ``from_snapshot`` clones that snapshot (:func:`mikrodock.chr.snapshots.clone`);
the clone takes its image, memory, CPUs, accelerator, password, packages and device-mode from
the snapshot, so a request that sets any of them is refused (naming the fields) rather than
having them dropped. Any other request boots a new machine (:func:`mikrodock.chr.machine.run`).
The CLI and the Python API (:class:`mikrodock.chr.api.Chr`) both call :func:`launch`.
"""

from __future__ import annotations

from dataclasses import fields

from mikrodock.chr import machine, snapshots
from mikrodock.chr.download import Progress
from mikrodock.chr.machine import Note, RunRequest, RunResult, _quiet
from mikrodock.chr.ready import check_timeout
from mikrodock.errors import UsageError

__all__ = ["CLONE_FIELDS", "launch", "not_for_clone"]

CLONE_FIELDS = frozenset({"from_snapshot", "name", "publish", "publish_all", "timeout"})
"""The fields of a request that a clone honours; the rest come from the snapshot."""

_FLAGS = {
    "image": "VERSION",
    "image_path": "--image",
    "arch": "--arch",
    "memory": "--memory",
    "cpus": "--cpus",
    "accel": "--accel",
    "password": "--password-stdin/--no-password",
    "device_mode": "--device-mode",
    "packages": "--package",
    "link_to": "--link",
    "links": "lab links",
    "lab": "lab",
}


def not_for_clone(request: RunRequest) -> list[str]:
    """The fields of ``request`` set to something other than their default that a clone
    cannot honour (as the ``chr run`` flags that set them)."""
    defaults = RunRequest()
    return [
        _FLAGS.get(item.name, item.name)
        for item in fields(RunRequest)
        if item.name not in CLONE_FIELDS
        and getattr(request, item.name) != getattr(defaults, item.name)
    ]


def launch(
    request: RunRequest,
    *,
    note: Note = _quiet,
    progress: Progress | None = None,
    phase: Note = _quiet,
) -> RunResult:
    """Boot a new machine, or clone ``request.from_snapshot``; returns once REST answers."""
    check_timeout(request.timeout)
    if request.from_snapshot:
        refused = not_for_clone(request)
        if refused:
            raise UsageError(
                f"{', '.join(refused)} cannot be combined with --from"
                " (a clone takes them from its snapshot)",
                hint="drop them, or run without --from",
            )
        return snapshots.clone(
            request.from_snapshot,
            name=request.name,
            publish=request.publish,
            publish_all=request.publish_all,
            timeout=request.timeout,
        )
    return machine.run(request, note=note, progress=progress, phase=phase)
