"""The same lifecycle on a real RouterOS CHR, when one is at hand.

Set ``MIKRODOCK_CHR_IMAGE=/path/chr-7.x.img`` (or .img.zip/.vmdk/.vdi/.qcow2) to run these;
they are skipped with that reason otherwise (no machine here reaches MikroTik's download host).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mikrodock.chr.api import Chr

pytestmark = [
    pytest.mark.qemu,
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("MIKRODOCK_CHR_IMAGE"),
        reason="set MIKRODOCK_CHR_IMAGE=/path/to/chr.img to run the lifecycle on a real CHR",
    ),
    pytest.mark.usefixtures("no_machines_left"),
]


def test_real_chr_lifecycle() -> None:
    chr_ = Chr()
    image = Path(os.environ["MIKRODOCK_CHR_IMAGE"])
    router = chr_.run(image=image, name="real", memory="512M")
    with router.router() as ros:
        resource = ros.get("system/resource")
        assert resource["board-name"] == "CHR"
        assert ros.get("system/identity")["name"]
    assert router.execute(":put [/system/identity/get name]")
    router.snapshot("booted")
    clone = chr_.run(from_snapshot="real:booted", name="real2")
    with clone.router() as ros:
        assert ros.get("system/resource")["board-name"] == "CHR"
    router.stop()
    assert router.state == "stopped"
    router.start()
    with router.router() as ros:
        assert ros.get("system/resource")["board-name"] == "CHR"
    clone.remove()
    router.remove()
