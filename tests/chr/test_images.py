"""Pulling and importing CHR images against a local download host."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from mikrodock.chr import images
from mikrodock.errors import ImageError, UsageError
from mikrodock.paths import cache_dir


def _disk(size: int = 2 << 20, fill: bytes = b"\x01") -> bytes:
    data = bytearray(fill * size)
    data[510:512] = b"\x55\xaa"
    return bytes(data)


def _zip(name: str, payload: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr(name, payload)
    return buffer.getvalue()


def _leftovers() -> list[Path]:
    return [
        p
        for p in (cache_dir() / "chr").rglob("*")
        if p.name.startswith(".") and not p.name.endswith(".lock")
    ]


def test_channel_resolves_and_pull_stores_by_version_and_sha(mikrotik) -> None:  # type: ignore[no-untyped-def]
    seen: list[int] = []
    info = images.pull("stable", progress=lambda done, total: seen.append(done))
    assert info.version == "7.21.3"
    assert info.sha256 == hashlib.sha256(info.disk.read_bytes()).hexdigest()
    assert info.disk.read_bytes()[510:512] == b"\x55\xaa"
    assert seen and seen[-1] == len(mikrotik.files["/routeros/7.21.3/chr-7.21.3.img.zip"])
    assert [i.version for i in images.list_images()] == ["7.21.3"]


def test_cache_is_reused_without_downloading_again(mikrotik) -> None:  # type: ignore[no-untyped-def]
    images.pull("7.21.3")
    mikrotik.requests.clear()
    again = images.pull("7.21.3")
    assert again.version == "7.21.3"
    assert not any(path.endswith(".zip") for path, _ in mikrotik.requests)


def test_cut_download_resumes_with_a_range_request(mikrotik) -> None:  # type: ignore[no-untyped-def]
    path = "/routeros/7.21.3/chr-7.21.3.img.zip"
    mikrotik.cut_after[path] = 1000
    info = images.pull("7.21.3")
    ranges = [rng for p, rng in mikrotik.requests if p == path]
    assert ranges[0] == "" and ranges[1] == "bytes=1000-"
    with zipfile.ZipFile(io.BytesIO(mikrotik.files[path])) as bundle:
        served = bundle.read(bundle.namelist()[0])
    assert info.sha256 == hashlib.sha256(served).hexdigest()


def test_corrupt_download_is_rejected_and_nothing_is_kept(mikrotik) -> None:  # type: ignore[no-untyped-def]
    mikrotik.files["/routeros/7.21.3/chr-7.21.3.img.zip"] = b"PK\x03\x04 not really a zip" * 100
    with pytest.raises(ImageError, match="not a valid zip"):
        images.pull("7.21.3")
    assert images.find_image("7.21.3") is None
    assert _leftovers() == []


def test_image_without_partition_table_is_rejected(mikrotik) -> None:  # type: ignore[no-untyped-def]
    mikrotik.files["/routeros/7.21.3/chr-7.21.3.img.zip"] = _zip("chr.img", b"\0" * (2 << 20))
    with pytest.raises(ImageError, match="no partition table"):
        images.pull("7.21.3")
    assert images.list_images() == [] and _leftovers() == []


def test_published_checksum_mismatch_is_rejected(mikrotik) -> None:  # type: ignore[no-untyped-def]
    mikrotik.files["/routeros/7.21.3/chr-7.21.3.img.zip.sha256"] = b"0" * 64
    with pytest.raises(ImageError, match="sha256"):
        images.pull("7.21.3")
    assert images.list_images() == []


def test_published_checksum_is_recorded(mikrotik) -> None:  # type: ignore[no-untyped-def]
    body = mikrotik.files["/routeros/7.21.3/chr-7.21.3.img.zip"]
    digest = hashlib.sha256(body).hexdigest()
    mikrotik.files["/routeros/7.21.3/SHA256SUMS"] = f"{digest}  chr-7.21.3.img.zip\n".encode()
    assert images.pull("7.21.3").published_sha256 == digest


def test_arm64_file_name(mikrotik) -> None:  # type: ignore[no-untyped-def]
    mikrotik.files["/routeros/7.21.3/chr-7.21.3-arm64.img.zip"] = _zip("c.img", _disk(fill=b"\2"))
    info = images.pull("7.21.3", arch="aarch64")
    assert info.arch == "aarch64" and info.disk.read_bytes()[:1] == b"\2"


def test_unknown_version_and_channel(mikrotik) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match="unknown RouterOS version or channel"):
        images.pull("seven")
    with pytest.raises(ImageError, match="404"):
        images.pull("7.99.1")
    assert images.list_images() == [] and _leftovers() == []


def test_import_local_formats(tmp_path: Path) -> None:
    raw = tmp_path / "chr.img"
    raw.write_bytes(_disk(fill=b"\3"))
    first = images.import_image(raw)
    assert first.version.startswith("local-") and first.disk.read_bytes() == raw.read_bytes()
    archive = tmp_path / "chr.img.zip"
    archive.write_bytes(_zip("chr.img", raw.read_bytes()))
    assert images.import_image(archive).sha256 == first.sha256
    qcow = tmp_path / "chr.qcow2"
    subprocess.run(["qemu-img", "convert", "-O", "qcow2", str(raw), str(qcow)], check=True)
    assert images.import_image(qcow).sha256 == first.sha256


def test_import_rejects_bad_files(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such image"):
        images.import_image(tmp_path / "missing.img")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(UsageError, match="unsupported image format"):
        images.import_image(text)
    blank = tmp_path / "blank.img"
    blank.write_bytes(b"\0" * (2 << 20))
    with pytest.raises(ImageError, match="partition table"):
        images.import_image(blank)
    assert images.list_images() == []


def _bomb(declared: int) -> bytes:
    """A small zip whose one member says it unpacks to ``declared`` bytes (a zip bomb's header)."""
    body = bytearray(_zip("chr.img", b"\0" * (1 << 20)))
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = body.index(signature)
        body[at + offset : at + offset + 4] = declared.to_bytes(4, "little")
    return bytes(body)


def test_zip_bomb_is_refused_before_it_is_written(tmp_path: Path) -> None:
    archive = tmp_path / "chr.img.zip"
    archive.write_bytes(_bomb(0xFFFF_FFF0))  # ~4 GiB said by a ~1 KiB zip
    with pytest.raises(ImageError, match="unpacks to more than"):
        images.import_image(archive)
    assert images.list_images() == []
    leftovers = [p for p in Path(os.environ["MIKRODOCK_HOME"]).rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in leftovers) < 1 << 20


def test_zip_that_unpacks_past_the_cap_is_refused(  # type: ignore[no-untyped-def]
    mikrotik, monkeypatch: pytest.MonkeyPatch
) -> None:
    mikrotik.files["/routeros/7.21.3/chr-7.21.3.img.zip"] = _zip("chr.img", _disk() * 3)
    monkeypatch.setattr(images, "MAX_IMAGE_BYTES", 2 << 20)
    with pytest.raises(ImageError, match="unpacks to more than"):
        images.pull("7.21.3")
    assert images.list_images() == []
