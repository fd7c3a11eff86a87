"""Pulling from a real distribution registry (anonymous and token auth) and converting."""

from __future__ import annotations

import json
import os
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from mikrodock.errors import ImageError
from mikrodock.images.auth import Credentials
from mikrodock.images.cache import BlobCache
from mikrodock.images.convert import save_from_registry
from mikrodock.images.platforms import parse_platform, platform_for_arch
from mikrodock.images.reference import parse_reference

from .registries import PASSWORD, USER, write_login

pytestmark = pytest.mark.anyio
AMD64 = parse_platform("linux/amd64")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_registry_image_flattens_to_the_umoci_tree(
    registry: str,
    docker_config: Path,
    umoci_tree: Path,
    tmp_path: Path,
    snapshot: Callable,
    unpack_archive: Callable,
) -> None:
    ref = parse_reference(f"{registry}/test/layers:v1")
    out = tmp_path / "layers.tar"
    saved = await save_from_registry(ref, AMD64, out)
    assert snapshot(unpack_archive(out, tmp_path / "rootfs")) == snapshot(umoci_tree)
    with tarfile.open(out) as archive:
        manifest = json.load(archive.extractfile("manifest.json"))  # type: ignore[arg-type]
        config = json.load(archive.extractfile(manifest[0]["Config"]))  # type: ignore[arg-type]
    assert manifest == [
        {
            "Config": saved.config_name,
            "RepoTags": [f"{registry}/test/layers:v1"],
            "Layers": ["layer.tar"],
        }
    ]
    assert config["rootfs"] == {"type": "layers", "diff_ids": [saved.diff_id]}
    assert len(config["history"]) == 1
    run = config["config"]
    assert run["Env"] == ["GREETING=hello world", "PATH=/usr/bin:/bin"]
    assert run["Entrypoint"] == ["/bin/tool"] and run["Cmd"] == ["--serve"]
    assert run["WorkingDir"] == "/srv" and run["User"] == "1000:1000"
    assert run["ExposedPorts"] == {"8080/tcp": {}}
    assert config["architecture"] == "amd64" and config["os"] == "linux"


async def test_blobs_are_cached_by_digest(
    registry: str, docker_config: Path, tmp_path: Path
) -> None:
    ref = parse_reference(f"{registry}/test/layers:v1")
    cache = BlobCache(tmp_path / "cache")
    await save_from_registry(ref, AMD64, tmp_path / "a.tar", cache=cache)
    blobs = sorted(p.name for p in (tmp_path / "cache" / "sha256").iterdir())
    assert len(blobs) >= 5  # config + 4 layers
    assert not [p for p in (tmp_path / "cache" / "sha256").iterdir() if p.name.startswith(".")]
    await save_from_registry(ref, AMD64, tmp_path / "b.tar", cache=cache)
    assert (tmp_path / "a.tar").read_bytes()[512:4096] == (tmp_path / "b.tar").read_bytes()[
        512:4096
    ]


async def test_multi_arch_index_picks_the_router_platform(
    registry: str, docker_config: Path, tmp_path: Path
) -> None:
    ref = parse_reference(f"{registry}/test/multi:v1")
    out = tmp_path / "arm.tar"
    await save_from_registry(ref, platform_for_arch("arm64"), out)
    with (
        tarfile.open(out) as archive,
        tarfile.open(fileobj=archive.extractfile("layer.tar")) as layer,
    ):
        assert layer.extractfile("arch.txt").read() == b"arm64\n"  # type: ignore[union-attr]


async def test_missing_platform_lists_the_ones_there_are(
    registry: str, docker_config: Path, tmp_path: Path
) -> None:
    ref = parse_reference(f"{registry}/test/multi:v1")
    out = tmp_path / "arm.tar"
    with pytest.raises(ImageError) as info:
        await save_from_registry(ref, platform_for_arch("arm"), out)
    assert "linux/arm/v7" in str(info.value)
    assert "linux/amd64, linux/arm64/v8" in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docker-config", "home"]


async def test_single_platform_image_for_another_arch(
    registry: str, docker_config: Path, tmp_path: Path
) -> None:
    with pytest.raises(ImageError, match="single-platform image for linux/amd64"):
        await save_from_registry(
            parse_reference(f"{registry}/test/layers:v1"),
            platform_for_arch("arm64"),
            tmp_path / "x.tar",
        )


@pytest.mark.parametrize(
    ("name", "message"),
    [("test/layers:nope", "not found"), ("test/nothing:v1", "not found")],
)
async def test_unknown_image_or_tag(
    registry: str, docker_config: Path, tmp_path: Path, name: str, message: str
) -> None:
    out = tmp_path / "x.tar"
    with pytest.raises(ImageError, match=message) as info:
        await save_from_registry(parse_reference(f"{registry}/{name}"), AMD64, out)
    assert info.value.hint and "check the image name" in info.value.hint
    assert not out.exists()


async def test_corrupt_blob_is_refused_and_not_cached(
    corrupt_registry: str, docker_config: Path, tmp_path: Path
) -> None:
    out = tmp_path / "x.tar"
    cache = BlobCache(tmp_path / "cache")
    with pytest.raises(ImageError, match="digest mismatch"):
        await save_from_registry(
            parse_reference(f"{corrupt_registry}/test/layers:v1"), AMD64, out, cache=cache
        )
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".x.tar")]
    leftovers = [p.name for p in (tmp_path / "cache").rglob("*") if p.name.startswith(".")]
    assert leftovers == []


async def test_token_auth_with_docker_config_credentials(
    token_registry: str, docker_config: Path, tmp_path: Path
) -> None:
    write_login(docker_config, token_registry, USER, PASSWORD)
    out = tmp_path / "x.tar"
    await save_from_registry(parse_reference(f"{token_registry}/test/layers:v1"), AMD64, out)
    assert out.is_file()


async def test_token_auth_prompts_when_the_config_has_nothing(
    token_registry: str, docker_config: Path, tmp_path: Path
) -> None:
    asked: list[str] = []

    def prompt(registry: str) -> Credentials:
        asked.append(registry)
        return Credentials(USER, PASSWORD)

    out = tmp_path / "x.tar"
    await save_from_registry(
        parse_reference(f"{token_registry}/test/layers:v1"), AMD64, out, prompt=prompt
    )
    assert asked == [token_registry] and out.is_file()


@pytest.mark.parametrize("login", [None, "wrong"])
async def test_token_auth_failure_is_one_clear_error(
    token_registry: str, docker_config: Path, tmp_path: Path, login: str | None
) -> None:
    if login:
        write_login(docker_config, token_registry, USER, login)
    out = tmp_path / "x.tar"
    with pytest.raises(ImageError, match=f"authentication to {token_registry} failed") as info:
        await save_from_registry(parse_reference(f"{token_registry}/test/layers:v1"), AMD64, out)
    assert "docker login" in (info.value.hint or "")
    assert login is None or login not in info.value.one_line()
    assert not out.exists()


async def test_basic_auth_registry(
    basic_registry: str, docker_config: Path, tmp_path: Path
) -> None:
    ref = parse_reference(f"{basic_registry}/test/layers:v1")
    with pytest.raises(ImageError, match="wants a login"):
        await save_from_registry(ref, AMD64, tmp_path / "x.tar")
    write_login(docker_config, basic_registry, USER, "wrong")
    with pytest.raises(ImageError, match="refused the credentials"):
        await save_from_registry(ref, AMD64, tmp_path / "x.tar")
    write_login(docker_config, basic_registry, USER, PASSWORD)
    await save_from_registry(ref, AMD64, tmp_path / "x.tar")
    assert (tmp_path / "x.tar").is_file()


async def test_credentials_from_a_docker_credential_helper(
    token_registry: str, docker_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """credHelpers: the helper program gets the server on stdin and answers with JSON."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helper = bin_dir / "docker-credential-mikrotest"
    answer = json.dumps({"ServerURL": token_registry, "Username": USER, "Secret": PASSWORD})
    helper.write_text(
        "#!/bin/sh\n"
        '[ "$1" = get ] || exit 1\n'
        "read server\n"
        f'[ "$server" = "{token_registry}" ] || exit 1\n'
        f"echo '{answer}'\n"
    )
    helper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    (docker_config / "config.json").write_text(
        json.dumps({"credHelpers": {token_registry: "mikrotest"}})
    )
    out = tmp_path / "x.tar"
    await save_from_registry(parse_reference(f"{token_registry}/test/layers:v1"), AMD64, out)
    assert out.is_file()


class _Recorder:
    """A ByteProgress that remembers what it was told."""

    def __init__(self) -> None:
        self.totals: dict[str, int] = {}
        self.done: dict[str, int] = {}
        self.finished: set[str] = set()

    def start(self, key: str, description: str, total: int) -> None:
        self.totals[key] = total
        self.done.setdefault(key, 0)

    def advance(self, key: str, amount: int) -> None:
        self.done[key] += amount

    def finish(self, key: str) -> None:
        self.finished.add(key)


async def test_progress_counts_every_byte(
    registry: str, docker_config: Path, tmp_path: Path
) -> None:
    progress = _Recorder()
    cache = BlobCache(tmp_path / "cache")
    out = tmp_path / "x.tar"
    saved = await save_from_registry(
        parse_reference(f"{registry}/test/layers:v1"), AMD64, out, progress=progress, cache=cache
    )
    blobs = {k: v for k, v in progress.totals.items() if k.startswith("sha256:")}
    assert len(blobs) == 5  # the config and four layers
    assert all(progress.done[k] == total for k, total in blobs.items())
    assert progress.done["flatten"] == saved.layer_size
    assert progress.finished == set(progress.totals)
