"""The same lifecycle on a real RouterOS CHR, when one is at hand.

Set ``MIKRODOCK_CHR_IMAGE=/path/chr-7.x.img`` (or .img.zip/.vmdk/.vdi/.qcow2) to run these;
they are skipped with that reason otherwise (no machine here reaches MikroTik's download host).
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mikrodock.chr.api import Chr
from mikrodock.routeros.client import RouterClient

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
        assert resource["board-name"].startswith("CHR")
        assert ros.get("system/identity")["name"]
    assert router.execute(":put [/system/identity/get name]")
    with router.router() as ros:  # a clock far off in the snapshot
        ros.command("system/clock", "set", {"date": "2020-01-02", "time": "03:04:05"})
    router.snapshot("booted")
    clone = chr_.run(from_snapshot="real:booted", name="real2")
    with clone.router() as ros:
        assert ros.get("system/resource")["board-name"].startswith("CHR")
        assert _ether1_mac(ros) == clone.record.mac.upper() != router.record.mac.upper()
        assert abs(_clock(ros) - time.time()) < 30
    with router.router() as ros:
        assert _ether1_mac(ros) == router.record.mac.upper()
    router.restore("booted")
    with router.router() as ros:
        assert abs(_clock(ros) - time.time()) < 30
    router.stop()
    assert router.state == "stopped"
    router.start()
    with router.router() as ros:
        assert ros.get("system/resource")["board-name"].startswith("CHR")
    clone.remove()
    router.remove()


def _ether1_mac(ros: RouterClient) -> str:
    [ether1] = ros.print("interface/ethernet", where={"name": "ether1"})
    return ether1["mac-address"].upper()


def _clock(ros: RouterClient) -> float:
    clock = ros.get("system/clock")
    moment = datetime.strptime(f"{clock['date']} {clock['time']}", "%Y-%m-%d %H:%M:%S")
    offset = clock.get("gmt-offset", "+00:00")
    sign = -1 if offset.startswith("-") else 1
    hours, _, minutes = offset.lstrip("+-").partition(":")
    shift = sign * (int(hours or 0) * 3600 + int(minutes or 0) * 60)
    return moment.replace(tzinfo=UTC).timestamp() - shift
