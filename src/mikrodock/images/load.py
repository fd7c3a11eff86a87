"""``mikrodock load``: an image (file or registry name) onto a router, ready for ``file=``.

The router's architecture (``/system/resource architecture-name``) picks the platform. A file
RouterOS already accepts for that platform is uploaded as it is; anything else (a docker save
archive with several layers, an OCI layout or archive, a registry image) is converted first
into a temporary archive, which is removed afterwards.

With ``then`` (the caller's step that adds the container with ``file=`` and waits until
RouterOS has extracted it), the uploaded file is removed afterwards unless ``keep_file``; it is
removed as well when that step fails, so a failed load leaves the router as it was.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mikrodock.errors import ImageError, UsageError
from mikrodock.images.archive import SavedArchive
from mikrodock.images.convert import save_from_archive, save_from_registry
from mikrodock.images.inspect import inspect_archive
from mikrodock.images.platforms import Platform, platform_for_arch
from mikrodock.images.progress import ByteProgress
from mikrodock.images.reference import parse_reference
from mikrodock.images.registry import CredentialPrompt
from mikrodock.images.upload import RouterFiles, upload_file

__all__ = ["Loaded", "load_image", "router_file_name", "router_platform"]


class RouterResources(RouterFiles, Protocol):
    """A RouterOS client that can also read a singleton menu and remove items."""

    async def get(self, menu: str, item_id: str | None = None) -> dict[str, str]: ...

    async def remove(self, menu: str, item_id: str) -> None: ...


@dataclass(frozen=True)
class Loaded:
    """Where the image landed on the router, and what was done to get it there."""

    router_file: str
    platform: Platform
    converted: bool
    size: int


async def router_platform(ros: RouterResources) -> Platform:
    """The image platform the router's CPU runs."""
    resource = await ros.get("system/resource")
    arch = resource.get("architecture-name", "")
    if not arch:
        raise ImageError("the router did not say its architecture (system/resource)")
    return platform_for_arch(arch)


def router_file_name(source: str) -> str:
    """A file name for the router from an image name or a path (``nginx-1.27.tar``)."""
    base = Path(source).name if Path(source).exists() else source.rsplit("/", 1)[-1]
    base = base.removesuffix(".tar").replace(":", "-").split("@", 1)[0]
    return (re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("-.") or "image") + ".tar"


async def load_image(
    ros: RouterResources,
    source: str,
    *,
    file_name: str | None = None,
    image_name: str | None = None,
    insecure: bool = False,
    prompt: CredentialPrompt | None = None,
    progress: ByteProgress | None = None,
    address: str | None = None,
    then: Callable[[Loaded], Awaitable[None]] | None = None,
    keep_file: bool = False,
    allow_devices: bool = False,
) -> Loaded:
    """Convert ``source`` if needed and upload it; then run ``then`` (see the module text)."""
    _refuse_missing_file(source)
    platform = await router_platform(ros)
    name = file_name or router_file_name(source)
    path = Path(source).expanduser()
    with tempfile.TemporaryDirectory(prefix="mikrodock-load-") as folder:
        upload_path = Path(folder) / name.rsplit("/", 1)[-1]
        saved: SavedArchive | None = None
        if path.exists():
            report = inspect_archive(path, allow_devices=allow_devices)
            wanted = str(platform)
            if (
                path.is_file()
                and report.accepted
                and report.platform
                in (
                    wanted,
                    *(str(p) for p in platform.accepts()),
                )
            ):
                upload_path = path
            else:
                saved = save_from_archive(
                    path,
                    platform,
                    upload_path,
                    name=image_name,
                    progress=progress,
                    allow_devices=allow_devices,
                )
        else:
            saved = await save_from_registry(
                parse_reference(source),
                platform,
                upload_path,
                insecure=insecure,
                prompt=prompt,
                progress=progress,
                allow_devices=allow_devices,
            )
        size = upload_path.stat().st_size
        router_file = await upload_file(ros, upload_path, name, address=address, progress=progress)
    loaded = Loaded(router_file, platform, saved is not None, size)
    if then is None:
        return loaded
    try:
        await then(loaded)
    except BaseException:
        await _remove_file(ros, router_file)
        raise
    if not keep_file:
        await _remove_file(ros, router_file)
    return loaded


_ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.zst", ".oci")


def _refuse_missing_file(source: str) -> None:
    """A name written as a file path that does not exist is a typo, not an image to pull."""
    looks_like_path = source.startswith(("/", "./", "../", "~")) or source.lower().endswith(
        _ARCHIVE_SUFFIXES
    )
    if looks_like_path and not Path(source).expanduser().exists():
        raise UsageError(
            f"no such file: {source}",
            hint="check the path, or give an image reference such as nginx:1.27",
        )


async def _remove_file(ros: RouterResources, name: str) -> None:
    for record in await ros.print("file", where={"name": name}):
        await ros.remove("file", record[".id"])
