"""``mikrodock load``: convert when needed and upload through the simulator's /tool/fetch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mikrodock.errors import ImageError
from mikrodock.images.convert import save_from_archive
from mikrodock.images.load import load_image, router_file_name
from mikrodock.images.platforms import parse_platform
from mikrodock.routeros.client import AsyncRouterClient
from mikrodock.sim.files import file_bytes, find_file

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _client(sim: Any) -> AsyncRouterClient:
    return AsyncRouterClient(sim.url, sim.user, sim.password)


@pytest.mark.parametrize("routeros_sim", [{"arch": "arm64"}], indirect=True)
async def test_oci_layout_is_converted_for_the_router_and_loadable(
    routeros_sim: Any, oci_store: Path, tmp_path: Path, docker_config: Path
) -> None:
    async with _client(routeros_sim) as ros:
        loaded = await load_image(ros, str(oci_store), image_name="multi", file_name="img/m.tar")
        assert loaded.converted and str(loaded.platform) == "linux/arm64"
        assert loaded.router_file == "img/m.tar"
        record = find_file(routeros_sim.router, "img/m.tar")
        assert record is not None and int(record["size"]) == loaded.size
        expected = tmp_path / "expected.tar"
        save_from_archive(oci_store, parse_platform("linux/arm64"), expected, name="multi")
        assert len(file_bytes(record)) == expected.stat().st_size
        await ros.add("container", {"file": "img/m.tar", "name": "m"})
        assert "_error" not in routeros_sim.router.state.menu("container").items[0]


async def test_accepted_archive_is_uploaded_unchanged(
    routeros_sim: Any, oci_store: Path, tmp_path: Path, docker_config: Path
) -> None:
    archive = tmp_path / "ready.tar"
    save_from_archive(oci_store, parse_platform("linux/amd64"), archive, name="layers")
    async with _client(routeros_sim) as ros:
        loaded = await load_image(ros, str(archive))
    assert not loaded.converted and loaded.router_file == "ready.tar"
    record = find_file(routeros_sim.router, "ready.tar")
    assert record is not None and file_bytes(record) == archive.read_bytes()


@pytest.mark.parametrize("routeros_sim", [{"arch": "arm"}], indirect=True)
async def test_wrong_architecture_uploads_nothing(
    routeros_sim: Any, oci_store: Path, tmp_path: Path, docker_config: Path
) -> None:
    archive = tmp_path / "amd.tar"
    save_from_archive(oci_store, parse_platform("linux/amd64"), archive, name="layers")
    async with _client(routeros_sim) as ros:
        with pytest.raises(ImageError, match="not linux/arm/v7"):
            await load_image(ros, str(archive))
        with pytest.raises(ImageError, match=r"it has: linux/amd64, linux/arm64/v8"):
            await load_image(ros, str(oci_store), image_name="multi")
    assert find_file(routeros_sim.router, "amd.tar") is None


def test_load_cli_from_registry(
    routeros_sim: Any,
    registry: str,
    docker_config: Path,
    monkeypatch: pytest.MonkeyPatch,
    run_cli: Any,
) -> None:
    monkeypatch.setenv("MIKRODOCK_PASSWORD", routeros_sim.password)
    code, out, err = run_cli("load", f"{registry}/test/layers:v1", "-H", routeros_sim.url, "--json")
    assert not code, err
    result = json.loads(out)
    assert result == {
        "converted": True,
        "file": "layers-v1.tar",
        "platform": "linux/amd64",
        "size": result["size"],
        "container": None,
    }
    assert find_file(routeros_sim.router, "layers-v1.tar") is not None


def test_router_file_names() -> None:
    assert router_file_name("nginx") == "nginx.tar"
    assert router_file_name("ghcr.io/o/app:1.2@sha256:" + "a" * 64) == "app-1.2.tar"


@pytest.mark.parametrize("routeros_sim", [{"arch": "arm64"}], indirect=True)
def test_load_with_name_adds_the_container_and_removes_the_file(
    routeros_sim: Any,
    oci_store: Path,
    docker_config: Path,
    monkeypatch: pytest.MonkeyPatch,
    run_cli: Any,
) -> None:
    monkeypatch.setenv("MIKRODOCK_PASSWORD", routeros_sim.password)
    base = ["load", str(oci_store), "--image", "multi", "-H", routeros_sim.url]
    code, out, err = run_cli(*base, "--name", "web")
    assert code == 0, err
    assert "container web added" in out
    containers = routeros_sim.router.state.menu("container").items
    assert [c.get("name") for c in containers] == ["web"]
    assert "_error" not in containers[0]
    assert find_file(routeros_sim.router, "layout.tar") is None
    code, out, err = run_cli(*base, "--name", "db", "--keep-file", "--json")
    assert code == 0, err
    assert json.loads(out)["file"] == "layout.tar"
    assert find_file(routeros_sim.router, "layout.tar") is not None
    code, _, err = run_cli(*base, "--name", "web", "--file-name", "again.tar")
    assert code == 2 and err.count("\n") == 1
    assert find_file(routeros_sim.router, "again.tar") is None
    assert len(routeros_sim.router.state.menu("container").items) == 2


async def test_fetch_failure_is_one_error_with_the_fix(
    routeros_sim: Any, oci_store: Path, tmp_path: Path, docker_config: Path
) -> None:
    """The simulator fetches only from 127.0.0.1: serving on 127.0.0.2 makes /tool/fetch fail."""
    archive = tmp_path / "ready.tar"
    save_from_archive(oci_store, parse_platform("linux/amd64"), archive, name="layers")
    async with _client(routeros_sim) as ros:
        failed = r"could not fetch ready\.tar from 127\.0\.0\.2"
        with pytest.raises(ImageError, match=failed) as info:
            await load_image(ros, str(archive), address="127.0.0.2")
    assert "--serve-address" in (info.value.hint or "")
    assert find_file(routeros_sim.router, "ready.tar") is None
