"""``image save``: an image from a registry or an archive, written as a RouterOS archive."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO

from mikrodock.errors import UsageError
from mikrodock.images.archive import SavedArchive, write_archive
from mikrodock.images.cache import BlobCache
from mikrodock.images.layers import LayerSource
from mikrodock.images.platforms import Platform
from mikrodock.images.progress import ByteProgress
from mikrodock.images.reference import ImageReference, parse_reference
from mikrodock.images.registry import CredentialPrompt, RegistryClient
from mikrodock.images.sources import open_source

__all__ = ["repo_tag", "save_from_archive", "save_from_registry", "save_image"]


def repo_tag(ref: ImageReference) -> str:
    """The ``RepoTags`` entry RouterOS shows for the image (``nginx:latest``)."""
    base = ref.remote_image.split("@", 1)[0]
    return base if ref.tag else f"{base}:latest"


async def save_from_registry(
    ref: ImageReference,
    platform: Platform,
    output: Path,
    *,
    insecure: bool = False,
    prompt: CredentialPrompt | None = None,
    progress: ByteProgress | None = None,
    cache: BlobCache | None = None,
    concurrency: int = 4,
    allow_devices: bool = False,
) -> SavedArchive:
    """Pull ``ref`` for ``platform`` (blobs cached and verified), flatten, write ``output``."""
    async with RegistryClient(
        ref.registry,
        insecure=insecure,
        prompt=prompt,
        progress=progress,
        cache=cache,
        concurrency=concurrency,
    ) as client:
        manifest, config, _ = await client.resolve(ref, platform)
        paths = await client.blobs(ref, manifest.layers)
    diff_ids = (config.get("rootfs") or {}).get("diff_ids") or []
    layers = [
        LayerSource(
            _file_opener(path),
            f"{ref.familiar} layer {n + 1}/{len(paths)}",
            diff_id=diff_ids[n] if n < len(diff_ids) else None,
        )
        for n, path in enumerate(paths)
    ]
    return await asyncio.to_thread(
        write_archive,
        output,
        config,
        layers,
        repo_tags=[repo_tag(ref)],
        source=ref.familiar,
        progress=progress,
        allow_devices=allow_devices,
    )


def _file_opener(path: Path) -> Callable[[], AbstractContextManager[BinaryIO]]:
    return lambda: open(path, "rb")


def save_from_archive(
    source: Path,
    platform: Platform,
    output: Path,
    *,
    name: str | None = None,
    progress: ByteProgress | None = None,
    allow_devices: bool = False,
) -> SavedArchive:
    """Flatten the image for ``platform`` in a docker/podman/OCI archive or layout."""
    image = open_source(source, platform, name)
    tags: list[str] = []
    for text in ([name] if name else []) + list(image.names):
        try:
            tags.append(repo_tag(parse_reference(text)))
            break
        except UsageError:
            continue
    return write_archive(
        output,
        image.config,
        image.layers,
        repo_tags=tags,
        source=image.origin,
        progress=progress,
        allow_devices=allow_devices,
    )


def save_image(
    image: str | None,
    platform: Platform,
    output: Path,
    *,
    from_archive: Path | None = None,
    insecure: bool = False,
    prompt: CredentialPrompt | None = None,
    progress: ByteProgress | None = None,
    allow_devices: bool = False,
) -> SavedArchive:
    """The CLI's entry: from an archive when given, else from the image's registry."""
    if output.exists() and output.is_dir():
        raise UsageError(f"{output} is a folder", hint="give a file name with -o, e.g. app.tar")
    if from_archive is not None:
        return save_from_archive(
            from_archive,
            platform,
            output,
            name=image,
            progress=progress,
            allow_devices=allow_devices,
        )
    if not image:
        raise UsageError("no image given", hint="mikrodock image save IMAGE --arch ARCH -o FILE")
    ref = parse_reference(image)
    return asyncio.run(
        save_from_registry(
            ref,
            platform,
            output,
            insecure=insecure,
            prompt=prompt,
            progress=progress,
            allow_devices=allow_devices,
        )
    )
