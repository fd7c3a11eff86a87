"""The pytest fixtures `chr_router` and `chr_lab`, on the test guest."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from mikrodock.chr import snapshots
from mikrodock.chr.api import Machine
from mikrodock.chr.status import list_machines

pytestmark = [pytest.mark.qemu, pytest.mark.slow]


@pytest.fixture
def chr_image(guest_disk: Path) -> Path:
    return guest_disk


def test_chr_router_and_lab_are_ready_clones(chr_router: Machine, chr_lab) -> None:  # type: ignore[no-untyped-def]
    with chr_router.router() as ros:
        assert ros.get("system/resource")["board-name"]
    assert chr_router.execute(':put "hi"') == "hi"
    assert chr_router.password  # generated, not the empty default
    r1, r2 = chr_lab(["r1", "r2"])
    assert {r1.name, r2.name} == {"r1", "r2"}
    for router in (r1, r2):
        answer = httpx.get(
            f"{router.url}/rest/system/resource", auth=(router.user, router.password)
        )
        assert answer.status_code == 200
    [snap] = snapshots.list_snapshots()
    assert snap.tag == "ready"
    # only the clones run: the template machine was removed once it was saved
    assert sorted(m.name for m in list_machines()) == sorted([chr_router.name, "r1", "r2"])
