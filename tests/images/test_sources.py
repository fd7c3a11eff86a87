"""--from-archive: docker save / OCI archives and layouts, multi-platform ones, and inspect."""

from __future__ import annotations

import json
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from mikrodock.errors import ImageError, UsageError
from mikrodock.images.convert import save_from_archive
from mikrodock.images.inspect import inspect_archive
from mikrodock.images.platforms import parse_platform, platform_for_arch

from .imagekit import run

AMD64 = parse_platform("linux/amd64")


@pytest.fixture(scope="session")
def docker_archive(oci_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``skopeo copy`` to a docker-archive: what ``docker save`` writes (several layers)."""
    path = tmp_path_factory.mktemp("dockerarchive") / "layers.tar"
    run(
        "skopeo",
        "copy",
        "--quiet",
        f"oci:{oci_store}:layers",
        f"docker-archive:{path}:test/layers:v1",
    )
    return path


@pytest.fixture(scope="session")
def oci_archive(oci_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An OCI archive (``podman save --format oci-archive``) holding the multi-platform index."""
    path = tmp_path_factory.mktemp("ociarchive") / "multi.tar"
    run("skopeo", "copy", "--quiet", "--all", f"oci:{oci_store}:multi", f"oci-archive:{path}:multi")
    return path


def test_docker_archive_flattens_to_the_umoci_tree(
    docker_archive: Path,
    umoci_tree: Path,
    tmp_path: Path,
    snapshot: Callable,
    unpack_archive: Callable,
) -> None:
    out = tmp_path / "out.tar"
    save_from_archive(docker_archive, AMD64, out)
    assert snapshot(unpack_archive(out, tmp_path / "rootfs")) == snapshot(umoci_tree)
    with tarfile.open(out) as archive:
        manifest = json.load(archive.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert manifest[0]["RepoTags"] == ["test/layers:v1"]


def test_oci_archive_with_several_platforms_gives_the_wanted_one(
    oci_archive: Path,
    umoci_tree: Path,
    tmp_path: Path,
    snapshot: Callable,
    unpack_archive: Callable,
) -> None:
    arm = tmp_path / "arm.tar"
    save_from_archive(oci_archive, platform_for_arch("arm64"), arm)
    assert sorted(snapshot(unpack_archive(arm, tmp_path / "arm"))) == ["arch.txt"]
    amd = tmp_path / "amd.tar"
    save_from_archive(oci_archive, platform_for_arch("x86_64"), amd)
    assert snapshot(unpack_archive(amd, tmp_path / "amd")) == snapshot(umoci_tree)
    with pytest.raises(ImageError, match=r"has no image for linux/arm/v7 \(it has: linux/amd64"):
        save_from_archive(oci_archive, platform_for_arch("arm"), tmp_path / "no.tar")
    assert not (tmp_path / "no.tar").exists()


def test_oci_layout_folder_picks_by_name(oci_store: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no image named nope"):
        save_from_archive(oci_store, AMD64, tmp_path / "x.tar", name="nope")
    save_from_archive(oci_store, parse_platform("linux/arm64"), tmp_path / "m.tar", name="multi")


def test_not_an_archive(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"hello, not a tar" * 100)
    with pytest.raises(UsageError, match="not an image archive"):
        save_from_archive(junk, AMD64, tmp_path / "x.tar")
    assert not (tmp_path / "x.tar").exists()


def test_inspect_accepts_our_archive(oci_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "ok.tar"
    save_from_archive(oci_store, AMD64, out, name="layers")
    report = inspect_archive(out)
    assert report.accepted, report.problems
    assert report.format == "docker-archive" and report.layers == 1
    assert report.platform == "linux/amd64" and report.routeros_arches == ["x86_64", "x86"]
    assert report.entrypoint == ["/bin/tool"]


def test_inspect_explains_refusals(
    docker_archive: Path, oci_archive: Path, oci_store: Path, tmp_path: Path
) -> None:
    several = inspect_archive(docker_archive)
    assert not several.accepted
    assert any("4 layers" in p.why for p in several.problems), several.problems
    assert any("layer is compressed" in p.why for p in several.problems) is False
    assert all("mikrodock image save --from-archive" in p.fix for p in several.problems)
    for path, kind in ((oci_archive, "oci-archive"), (oci_store, "oci-layout")):
        report = inspect_archive(path)
        assert report.format == kind and not report.accepted
        assert "--from-archive" in report.problems[0].fix
    junk = tmp_path / "junk"
    junk.write_bytes(b"\x1f\x8b rest")
    assert "gzip" in inspect_archive(junk).problems[0].why


def test_our_archive_reads_back_as_a_docker_archive(
    oci_store: Path, umoci_tree: Path, tmp_path: Path, snapshot: Callable
) -> None:
    """skopeo (containers/image) loads our output as a docker archive: the layer matches the
    config's diff id, and unpacking it gives the same tree as the original image."""
    out = tmp_path / "ours.tar"
    save_from_archive(oci_store, AMD64, out, name="layers")
    info = json.loads(run("skopeo", "inspect", "--raw", "--config", f"docker-archive:{out}"))
    assert len(info["rootfs"]["diff_ids"]) == 1 and info["config"]["WorkingDir"] == "/srv"
    back = tmp_path / "back"
    run("skopeo", "copy", "--quiet", f"docker-archive:{out}", f"oci:{back}:again")
    run("umoci", "unpack", "--image", f"{back}:again", tmp_path / "bundle")
    assert snapshot(tmp_path / "bundle" / "rootfs") == snapshot(umoci_tree)
