"""OCI and Docker manifests, indexes and descriptors; digests and their verification.

Both registries and on-disk layouts (OCI layout folders, ``docker save`` archives) hand out the
same JSON documents: an index (manifest list) picks one image manifest per platform, the image
manifest names the config blob and the layers. Every digest is checked on read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mikrodock.errors import ImageError
from mikrodock.images.platforms import Platform, select

__all__ = [
    "ACCEPT",
    "INDEX_TYPES",
    "MANIFEST_TYPES",
    "Descriptor",
    "Digester",
    "ImageManifest",
    "check_digest",
    "choose_platform",
    "digest_of",
    "parse_document",
]

DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX_TYPES = frozenset({DOCKER_LIST, OCI_INDEX})
MANIFEST_TYPES = frozenset({DOCKER_MANIFEST, OCI_MANIFEST})
ACCEPT = ", ".join([OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST])

_ALGORITHMS = {"sha256": 64, "sha512": 128}


class Digester:
    """Hashes a stream with the algorithm a digest names (``sha256:...``)."""

    def __init__(self, digest: str) -> None:
        algorithm, _, value = digest.partition(":")
        if _ALGORITHMS.get(algorithm) != len(value):
            raise ImageError(
                f"unsupported or malformed digest {digest!r}",
                hint="only sha256 and sha512 digests are supported",
            )
        self.expected = digest
        self._hash = hashlib.new(algorithm)
        self.size = 0

    def update(self, data: bytes) -> None:
        self._hash.update(data)
        self.size += len(data)

    @property
    def actual(self) -> str:
        return f"{self._hash.name}:{self._hash.hexdigest()}"

    def verify(self, what: str) -> None:
        """Raise ImageError when what was hashed does not match the expected digest."""
        if self.actual != self.expected:
            raise ImageError(
                f"{what} is corrupt: digest mismatch (expected {self.expected}, got {self.actual})",
                hint="try again; if it persists, the source serves a broken blob",
            )


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def check_digest(data: bytes, digest: str, what: str) -> None:
    digester = Digester(digest)
    digester.update(data)
    digester.verify(what)


@dataclass(frozen=True)
class Descriptor:
    """A pointer to a blob: media type, digest, size (and, in indexes, a platform)."""

    media_type: str
    digest: str
    size: int
    platform: Platform | None = None
    annotations: Mapping[str, str] | None = None

    @classmethod
    def from_json(cls, data: Any, where: str) -> Descriptor:
        if not isinstance(data, dict) or not isinstance(data.get("digest"), str):
            raise ImageError(f"{where}: a descriptor has no digest", hint="the image is broken")
        platform = data.get("platform")
        annotations = data.get("annotations")
        return cls(
            str(data.get("mediaType") or ""),
            data["digest"],
            int(data.get("size") or 0),
            Platform.from_json(platform) if isinstance(platform, dict) else None,
            annotations if isinstance(annotations, dict) else None,
        )


@dataclass(frozen=True)
class ImageManifest:
    """One image: its config blob and its layers, bottom first."""

    digest: str
    config: Descriptor
    layers: tuple[Descriptor, ...]


def _load(raw: bytes, where: str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ImageError(f"{where}: not valid JSON", hint="the image is broken") from exc
    if not isinstance(data, dict):
        raise ImageError(f"{where}: not a JSON object", hint="the image is broken")
    return data


def parse_document(
    raw: bytes, digest: str, media_type: str, where: str
) -> ImageManifest | list[Descriptor]:
    """An image manifest, or the manifests an index lists."""
    data = _load(raw, where)
    kind = str(data.get("mediaType") or media_type or "")
    if data.get("schemaVersion") == 1 or "signatures" in data or "fsLayers" in data:
        raise ImageError(
            f"{where}: Docker schema 1 manifests are not supported",
            hint="push the image again with a current docker, podman or skopeo",
        )
    if kind in INDEX_TYPES or ("manifests" in data and "layers" not in data):
        manifests = data.get("manifests")
        if not isinstance(manifests, list):
            raise ImageError(f"{where}: an index without manifests", hint="the image is broken")
        return [Descriptor.from_json(item, where) for item in manifests]
    config = data.get("config")
    layers = data.get("layers")
    if not isinstance(config, dict) or not isinstance(layers, list):
        raise ImageError(
            f"{where}: unknown manifest type {kind or '(none)'}",
            hint="only Docker v2 and OCI image manifests are supported",
        )
    return ImageManifest(
        digest,
        Descriptor.from_json(config, where),
        tuple(Descriptor.from_json(layer, where) for layer in layers),
    )


def choose_platform(manifests: Sequence[Descriptor], wanted: Platform, image: str) -> Descriptor:
    """The index entry for ``wanted`` (or a variant it runs); ImageError listing the others."""
    images = [
        entry
        for entry in manifests
        if entry.platform is not None
        and entry.platform.architecture != "unknown"
        and entry.media_type not in INDEX_TYPES
    ]
    found = select(wanted, (entry.platform for entry in images if entry.platform))
    if found is not None:
        return images[found]
    nested = [entry for entry in manifests if entry.media_type in INDEX_TYPES]
    if nested and not images:
        raise ImageError(f"{image}: nested indexes are not supported", hint="pick one by digest")
    there = ", ".join(sorted({str(entry.platform) for entry in images})) or "none"
    raise ImageError(
        f"{image} has no image for {wanted} (it has: {there})",
        hint="pick one of those with --platform, or use an image built for this architecture",
    )
