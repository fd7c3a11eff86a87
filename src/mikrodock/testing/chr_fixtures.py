"""Fixtures: real RouterOS CHR machines under QEMU (``mikrodock.chr``).

``chr_router`` gives each test a ready router (a :class:`mikrodock.chr.api.Machine`: ``.url``,
``.user``, ``.password``, ``.router()``, ``.execute()``), removed afterwards. The first one
boots a template machine and saves it as a snapshot; every later one is cloned from that
snapshot (about a second instead of a boot). The snapshot is kept in mikrodock's state folder,
so later sessions start from it too; a different image gets a different snapshot.

``chr_lab`` makes several routers at once: ``chr_lab(3)`` or ``chr_lab(["r1", "r2"])``.

Which image: the ``chr_image`` fixture, by default ``MIKRODOCK_CHR_IMAGE`` (a local CHR image)
or else the version in ``MIKRODOCK_CHR_VERSION`` (default ``stable``), pulled into the cache.
Override ``chr_image`` in a ``conftest.py`` to return a path or a version of your own.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from mikrodock.chr import machine as machine_mod
from mikrodock.chr import snapshots
from mikrodock.chr.api import Chr, Machine
from mikrodock.errors import UsageError

__all__ = ["chr_image", "chr_lab", "chr_router", "chr_template"]

_TAG = "ready"


@pytest.fixture(scope="session")
def chr_image() -> Path | str:
    """A local image path, or a RouterOS version/channel to pull."""
    local = os.environ.get("MIKRODOCK_CHR_IMAGE")
    if local:
        return Path(local)
    return os.environ.get("MIKRODOCK_CHR_VERSION", "stable")


def _template_name(image: Path | str) -> str:
    key = str(image.resolve()) if isinstance(image, Path) else image
    return "fixture-" + hashlib.sha256(key.encode()).hexdigest()[:10]


def _ensure_template(image: Path | str) -> str:
    """``MACHINE:TAG`` of a saved ready router for ``image``, booting one the first time."""
    name = _template_name(image)
    try:
        snapshots.load_snapshot(name, _TAG)
        return f"{name}:{_TAG}"
    except UsageError:
        pass
    chr_ = Chr()
    if isinstance(image, Path):
        template = chr_.run(image=image, name=name)
    else:
        template = chr_.run(image, name=name)
    try:
        template.snapshot(_TAG)
    finally:
        machine_mod.remove(name, force=True)
    return f"{name}:{_TAG}"


@pytest.fixture
def chr_template(chr_image: Path | str) -> str:
    """``MACHINE:TAG`` of the snapshot that ``chr_router`` clones (made on first use)."""
    return _ensure_template(chr_image)


@pytest.fixture
def chr_router(chr_template: str) -> Iterator[Machine]:
    """A ready CHR router for one test, cloned from the template snapshot; removed afterwards."""
    router = Chr().run(from_snapshot=chr_template)
    try:
        yield router
    finally:
        router.remove()


@pytest.fixture
def chr_lab(chr_template: str) -> Iterator[Callable[[int | Sequence[str]], list[Machine]]]:
    """A factory for several routers at once; all removed afterwards."""
    made: list[Machine] = []

    def make(routers: int | Sequence[str]) -> list[Machine]:
        names: list[str | None] = [None] * routers if isinstance(routers, int) else list(routers)
        batch = [Chr().run(from_snapshot=chr_template, name=name) for name in names]
        made.extend(batch)
        return batch

    try:
        yield make
    finally:
        for router in made:
            router.remove()
