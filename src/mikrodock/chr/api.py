"""The Python API for CHR machines: ``from mikrodock import Chr``.

::

    chr = Chr()
    with chr.run("stable", name="r1") as router:       # removed at the end of the block
        print(router.url, router.execute(":put [/system/identity/get name]"))
        router.snapshot("ready")
    clone = chr.run(from_snapshot="r1:ready", name="r2")  # about a second, no boot
    same = chr.launch(RunRequest(from_snapshot="r1:ready", name="r3"))  # the request chr run builds

Every method maps to one ``mikrodock chr`` command and raises the same errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from mikrodock.chr import console, images, machine, snapshots, status
from mikrodock.chr.boot import password_of
from mikrodock.chr.download import Progress
from mikrodock.chr.launch import launch
from mikrodock.chr.machine import RunRequest
from mikrodock.chr.provision import router_for
from mikrodock.chr.state import MachineRecord, load_record
from mikrodock.routeros.client import RouterClient

__all__ = ["Chr", "Machine", "RunRequest"]


class Machine:
    """A handle on one machine; reads its record fresh on every property access."""

    def __init__(
        self, name: str, timings: dict[str, float] | None = None, notes: list[str] | None = None
    ) -> None:
        self.name = name
        self.timings = timings or {}
        self.notes = notes or []

    def __repr__(self) -> str:
        return f"Machine({self.name!r})"

    @property
    def record(self) -> MachineRecord:
        return load_record(self.name)

    @property
    def url(self) -> str:
        return self.record.url

    @property
    def user(self) -> str:
        return self.record.user

    @property
    def password(self) -> str:
        return password_of(self.record)

    @property
    def ports(self) -> dict[int, int]:
        """guest port -> host port (on 127.0.0.1)."""
        return {port.guest: port.host for port in self.record.ports}

    @property
    def state(self) -> str:
        for item in status.list_machines():
            if item.name == self.name:
                return item.state
        return "removed"

    def router(self) -> RouterClient:
        """A REST client for this router (close it, or use it in a ``with`` block)."""
        record = self.record
        return router_for(record)

    def execute(self, script: str) -> str:
        return machine.exec_script(self.name, script)

    def log(self) -> str:
        return console.log_path(self.name).read_text(errors="replace")

    def stop(self, *, force: bool = False, timeout: float = 30.0) -> None:
        machine.stop(self.name, force=force, timeout=timeout)

    def start(self, *, timeout: float = 300.0) -> None:
        result = machine.start(self.name, timeout=timeout)
        self.timings, self.notes = result.timings, result.notes

    def remove(self) -> None:
        machine.remove(self.name, force=True)

    def snapshot(self, tag: str) -> snapshots.SnapshotInfo:
        return snapshots.save(self.name, tag)

    def restore(self, tag: str, *, timeout: float = 120.0) -> None:
        result = snapshots.restore(self.name, tag, timeout=timeout, note=lambda _: None)
        self.timings = result.timings

    def __enter__(self) -> Machine:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.remove()


class Chr:
    """CHR images and machines on this computer (state under ``MIKRODOCK_HOME`` or defaults)."""

    def pull(
        self, version: str = "stable", *, arch: str = "x86_64", progress: Progress | None = None
    ) -> images.ImageInfo:
        return images.pull(version, arch, progress)

    def import_image(self, path: Path | str, *, arch: str = "x86_64") -> images.ImageInfo:
        return images.import_image(Path(path), arch)

    def images(self) -> list[images.ImageInfo]:
        return images.list_images()

    def rmi(self, version: str, *, arch: str = "x86_64") -> None:
        records, _ = _records()
        images.remove_image(version, arch, {str(r.base_image) for r in records})

    def run(
        self,
        version: str = "stable",
        *,
        image: Path | str | None = None,
        name: str | None = None,
        arch: str = "x86_64",
        memory: str | int = "256M",
        cpus: int = 1,
        ports: tuple[str, ...] = (),
        publish_all: bool = False,
        accel: str = "auto",
        password: str | None = None,
        device_mode: Mapping[str, str] | None = None,
        from_snapshot: str | None = None,
        packages: tuple[str, ...] = (),
        links: tuple[str, ...] = (),
        timeout: float = 300.0,
    ) -> Machine:
        """A new ready machine (``password=None`` generates one; ``""`` keeps it empty).

        ``packages``: extra RouterOS packages (``("container",)``); ``links``: ``PEER:etherN``
        wiring a new NIC of each running peer to this machine (like ``chr run --link``).
        """
        request = RunRequest(
            image=version, image_path=Path(image) if image else None, name=name, arch=arch,
            memory=memory, cpus=cpus, publish=ports, publish_all=publish_all, accel=accel,
            password=password, device_mode=dict(device_mode or {}), timeout=timeout,
            packages=tuple(packages), link_to=tuple(links), from_snapshot=from_snapshot,
        )  # fmt: skip
        return self.launch(request)

    def launch(self, request: RunRequest) -> Machine:
        """A new ready machine from the request ``chr run`` builds (``from_snapshot`` clones;
        a field a clone cannot honour is refused, naming it)."""
        result = launch(request)
        return Machine(result.record.name, result.timings, result.notes)

    def get(self, name: str) -> Machine:
        load_record(name)
        return Machine(name)

    def ls(self) -> list[status.MachineStatus]:
        return status.list_machines()

    def snapshots(self) -> list[snapshots.SnapshotInfo]:
        return snapshots.list_snapshots()


def _records() -> tuple[list[MachineRecord], list[str]]:
    from mikrodock.chr.state import list_records

    return list_records()
