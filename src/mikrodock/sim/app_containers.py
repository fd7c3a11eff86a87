"""The containers of an enabled ``/app`` (7.22+).

RouterOS runs an app as ordinary ``/container`` entries, one per service of the app's computed
``containers`` field (``svc:none:image,...``). The simulator names them ``APP-SERVICE`` (how
RouterOS names them is not known from public data; mikrodock looks for this name), with
``logging=yes``, and starts them at once (no extraction delay), so they "print" like any
container: their lines reach ``/log`` under topic ``container`` when a ``/system/logging`` rule
keeps that topic. Disabling or removing the app, or changing its YAML, removes them (and, while
enabled, makes them anew).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mikrodock.sim import containers

if TYPE_CHECKING:
    from mikrodock.sim.router import SimRouter

__all__ = ["sync"]


def _services(field: str) -> list[tuple[str, str]]:
    """(service, image) pairs of a computed ``containers`` field."""
    out = []
    for part in field.split(","):
        service, _network, image = [*part.split(":", 2), "", ""][:3]
        if service and image:
            out.append((service, image))
    return out


def sync(router: SimRouter, app: str, containers_field: str, enabled: bool) -> None:
    """Make the app's containers match its state: none when disabled, one per service else."""
    with router.state.lock:
        menu = router.state.menu("container")
        for item in [i for i in menu.items if i.get("_app") == app]:
            menu.remove(item)
        if not enabled:
            router.state.touch()
            return
        for service, image in _services(containers_field):
            item = containers._defaults(router)
            item.update(
                {
                    "name": f"{app}-{service}",
                    containers._image_field(router): image,
                    "logging": "true",
                    "_app": app,
                }
            )
            menu.add(item)
            containers._set_phase(router, item, "running")
