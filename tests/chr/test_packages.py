"""``chr run --package NAME``: the extra-packages zip downloaded once, the .npk fetched by the
router, activated (apply-changes on 7.18+, a reboot before) and listed once it is back."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from mikrodock.chr import packages
from mikrodock.chr.state import load_record, machine_dir
from mikrodock.errors import ImageError, UsageError

VERSION = "7.22.3"  # what the test guest reports
BUNDLE = f"/routeros/{VERSION}/all_packages-x86-{VERSION}.zip"


def _bundle(*names: str, version: str = VERSION) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name in names:
            bundle.writestr(f"{name}-{version}.npk", f"npk {name} ".encode() * 5000)
    return buffer.getvalue()


def test_names_follow_mikrotik() -> None:
    assert packages.zip_name("7.21.3", "x86_64") == "all_packages-x86-7.21.3.zip"
    assert packages.zip_name("7.21.3", "aarch64") == "all_packages-arm64-7.21.3.zip"
    assert packages.npk_name("container", "7.21.3", "x86_64") == "container-7.21.3.npk"
    assert packages.npk_name("container", "7.21.3", "aarch64") == "container-7.21.3-arm64.npk"
    assert packages.validate_names(("container", "iot", "container")) == ("container", "iot")
    for bad in ("Container", "../x", "", "a b"):
        with pytest.raises(UsageError, match="bad --package"):
            packages.validate_names((bad,))


def test_activation_by_version() -> None:
    assert packages._applies_changes("7.18") and packages._applies_changes("7.22.3")
    assert not packages._applies_changes("7.17.2")


def test_fetch_once_then_from_cache(mikrotik) -> None:  # type: ignore[no-untyped-def]
    mikrotik.files[BUNDLE] = _bundle("container", "iot")
    [npk] = packages.fetch_packages(("container",), VERSION, "x86_64")
    assert npk.name == f"container-{VERSION}.npk" and npk.read_bytes().startswith(b"npk container")
    again = packages.fetch_packages(("container", "iot"), VERSION, "x86_64")
    assert [p.name for p in again] == [f"container-{VERSION}.npk", f"iot-{VERSION}.npk"]
    assert [path for path, _ in mikrotik.requests].count(BUNDLE) == 1
    with pytest.raises(UsageError, match="has no wifi-qcom") as error:
        packages.fetch_packages(("wifi-qcom",), VERSION, "x86_64")
    assert "container, iot" in error.value.one_line()


def test_corrupt_bundle_is_refused_and_dropped(mikrotik) -> None:  # type: ignore[no-untyped-def]
    mikrotik.files[BUNDLE] = b"not a zip at all"
    with pytest.raises(ImageError, match="not a valid zip"):
        packages.fetch_packages(("container",), VERSION, "x86_64")
    mikrotik.files[BUNDLE] = _bundle("container")
    assert packages.fetch_packages(("container",), VERSION, "x86_64")[0].exists()


@pytest.mark.qemu
@pytest.mark.slow
@pytest.mark.usefixtures("no_machines_left")
def test_run_with_package(guest_disk: Path, mikrotik, run_cli: Any) -> None:  # type: ignore[no-untyped-def]
    mikrotik.files[BUNDLE] = _bundle("container", "iot")
    code, _, err = run_cli("chr", "run", "--image", str(guest_disk), "--name", "p2",
                           "--no-password", "--accel", "tcg", "--package", "nosuch")  # fmt: skip
    assert code == 2 and "has no nosuch" in err and len(err.strip().splitlines()) == 1, err
    assert not machine_dir("p2").exists()

    code, _, err = run_cli("chr", "run", "--image", str(guest_disk), "--name", "p1",
                           "--no-password", "--accel", "tcg", "--package", "container")  # fmt: skip
    assert code == 0, err
    assert "apply-changes" in err  # 7.22.3 activates packages with apply-changes
    record = load_record("p1")
    listed = httpx.get(f"{record.url}/rest/system/package", auth=("admin", ""), timeout=10)
    assert sorted(item["name"] for item in listed.json()) == ["container", "routeros"]
    log = (record.dir / "serial.log").read_text(errors="replace")
    assert f"guest: installed container-{VERSION}" in log


@pytest.mark.qemu
@pytest.mark.slow
@pytest.mark.usefixtures("no_machines_left")
def test_package_before_7_18_by_reboot(persistent_cache: Path, mikrotik,  # type: ignore[no-untyped-def]
                                       run_cli: Any) -> None:  # fmt: skip
    from mikrodock.testing.guest import guest_image

    old = guest_image("7.17.2", cache=persistent_cache / "test-guest")
    mikrotik.files["/routeros/7.17.2/all_packages-x86-7.17.2.zip"] = _bundle(
        "container", version="7.17.2"
    )
    code, _, err = run_cli("chr", "run", "--image", str(old), "--name", "p3",
                           "--no-password", "--accel", "tcg", "--package", "container")  # fmt: skip
    assert code == 0, err
    assert "(reboot)" in err  # no apply-changes before 7.18
    record = load_record("p3")
    listed = httpx.get(f"{record.url}/rest/system/package", auth=("admin", ""), timeout=10)
    assert sorted(item["name"] for item in listed.json()) == ["container", "routeros"]
    log = (record.dir / "serial.log").read_text(errors="replace")
    assert "guest: installed container-7.17.2" in log
