"""``image inspect FILE``: will RouterOS import this file, and if not, why and how to fix it.

RouterOS imports (``/container add file=...``) only a Docker v1 archive (``manifest.json``) with
one image, one uncompressed layer, for a platform it runs (linux/amd64, linux/arm64,
linux/arm/v7). Everything else gets a problem and the command that converts it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mikrodock.errors import ImageError, UsageError
from mikrodock.images.entries import EntryReport, check_member
from mikrodock.images.layers import LayerSource, open_layer
from mikrodock.images.platforms import ROUTEROS_ARCHES, Platform, parse_platform
from mikrodock.images.sources import ArchiveFiles
from mikrodock.images.tarscan import TarScanner

__all__ = ["Inspection", "Problem", "inspect_archive"]

_GZIP = b"\x1f\x8b"
_ZSTD = b"\x28\xb5\x2f\xfd"
_MAKE_ONE = "make one with: mikrodock image save IMAGE --arch ARCH -o FILE"


@dataclass(frozen=True)
class Problem:
    """Why RouterOS would refuse the file, and what to do about it."""

    why: str
    fix: str


@dataclass
class Inspection:
    """What the file is and whether RouterOS accepts it."""

    path: str
    format: str  # docker-archive, oci-archive, oci-layout, not-an-image
    size: int = 0
    images: int = 0
    layers: int = 0
    platform: str | None = None
    routeros_arches: list[str] = field(default_factory=list)
    repo_tags: list[str] = field(default_factory=list)
    entrypoint: list[str] | None = None
    cmd: list[str] | None = None
    setuid: list[str] = field(default_factory=list)
    """Setuid/setgid files (kept, as in any image; listed so they can be reviewed)."""
    devices: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["accepted"] = self.accepted
        return data


def _convert_fix(path: Path, platform: str | None = None) -> str:
    target = f"--platform {platform}" if platform else "--arch <router arch>"
    return f"convert it: mikrodock image save --from-archive {path} {target} -o routeros.tar"


def _arches_for(platform: Platform) -> list[str]:
    return [
        arch
        for arch, name in ROUTEROS_ARCHES.items()
        if platform in parse_platform(name).accepts()
        or (platform.variant is None and parse_platform(name).architecture == platform.architecture)
    ]


def _check_entries(
    files: ArchiveFiles, layers: list[str], report: Inspection, allow_devices: bool
) -> None:
    """Every member of every layer through the check ``save`` and ``load`` use."""
    found = EntryReport()
    for number, layer in enumerate(layers):
        if not isinstance(layer, str) or not files.exists(layer):
            continue
        source = LayerSource(files.opener(layer), f"layer {number + 1}")
        try:
            with open_layer(source, verify=False) as stream:
                for member in TarScanner(stream, source.label):
                    check_member(member, source.label, found, allow_devices=allow_devices)
        except ImageError as exc:
            report.problems.append(Problem(str(exc), exc.hint or "rebuild the image"))
    report.setuid, report.devices = found.setuid, found.devices


def _check_docker(
    files: ArchiveFiles, path: Path, report: Inspection, allow_devices: bool = False
) -> None:
    try:
        manifest = json.loads(files.read("manifest.json"))
    except ValueError:
        report.problems.append(Problem("manifest.json is not valid JSON", _convert_fix(path)))
        return
    if not isinstance(manifest, list) or not manifest:
        report.problems.append(Problem("manifest.json lists no image", "save the image again"))
        return
    report.images = len(manifest)
    if len(manifest) > 1:
        report.problems.append(
            Problem(
                f"the archive holds {len(manifest)} images; RouterOS imports one",
                _convert_fix(path) + " (add the image name to pick one)",
            )
        )
    item = manifest[0]
    if not isinstance(item, dict):
        report.problems.append(Problem("manifest.json is not a docker save manifest", _MAKE_ONE))
        return
    report.repo_tags = [str(tag) for tag in item.get("RepoTags") or []]
    layers = item.get("Layers") or []
    if not isinstance(layers, list):
        layers = []
    report.layers = len(layers)
    for name in layers:
        try:
            files.check_name(name)
        except ImageError as exc:
            report.problems.append(Problem(str(exc), exc.hint or "save the image again"))
            return
    try:
        config = json.loads(files.read(item.get("Config", "")))
        if not isinstance(config, dict):
            raise ValueError("not an object")
    except ImageError as exc:
        report.problems.append(Problem(str(exc), exc.hint or "save the image again"))
        return
    except Exception:
        report.problems.append(Problem("the image config is missing or broken", "save it again"))
        config = {}
    platform = Platform.from_json(config) if config else None
    if platform is not None:
        report.platform = str(platform)
        report.routeros_arches = _arches_for(platform)
        run = config.get("config") or {}
        report.entrypoint, report.cmd = run.get("Entrypoint"), run.get("Cmd")
        if not report.routeros_arches:
            report.problems.append(
                Problem(
                    f"the image is for {platform}; RouterOS runs linux/amd64, linux/arm64 and"
                    " linux/arm/v7 only",
                    "use an image built for the router's architecture",
                )
            )
    if len(layers) != 1:
        report.problems.append(
            Problem(
                f"the image has {len(layers)} layers; RouterOS imports exactly one",
                _convert_fix(path, report.platform),
            )
        )
    _check_entries(files, layers, report, allow_devices)
    for layer in layers[:1]:
        if not files.exists(layer):
            report.problems.append(Problem(f"layer {layer} is missing", "save the image again"))
            continue
        with files.open(layer) as handle:
            head = handle.read(512)
        if head.startswith((_GZIP, _ZSTD)):
            report.problems.append(
                Problem(
                    "the layer is compressed; RouterOS wants a plain tar layer",
                    _convert_fix(path, report.platform),
                )
            )


def inspect_archive(path: Path, *, allow_devices: bool = False) -> Inspection:
    """Look at ``path`` (a file or an OCI layout folder) the way RouterOS's import would.

    Layers are read member by member: a path or link leaving the image, or a device node
    (unless ``allow_devices``), is a problem; setuid/setgid files are listed.
    """
    if not path.exists():
        raise UsageError(f"{path} does not exist", hint="give the archive to inspect")
    report = Inspection(str(path), "not-an-image")
    if path.is_file():
        report.size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(4)
        if head.startswith(_GZIP):
            report.problems.append(
                Problem(
                    "the archive is gzip-compressed; RouterOS wants a plain tar",
                    f"gunzip it, or {_convert_fix(path)}",
                )
            )
            return report
    try:
        files = ArchiveFiles(path)
    except UsageError:
        report.problems.append(
            Problem(
                "not a tar archive", "make one with: mikrodock image save IMAGE --arch ARCH -o FILE"
            )
        )
        return report
    if files.exists("manifest.json"):
        report.format = "docker-archive"
        _check_docker(files, path, report, allow_devices)
        if files.exists("index.json"):
            report.format = "docker-archive+oci"
        return report
    if files.exists("index.json"):
        report.format = "oci-layout" if path.is_dir() else "oci-archive"
        report.problems.append(
            Problem(
                f"{report.format} is not a format RouterOS imports (it wants docker save's)",
                _convert_fix(path),
            )
        )
        return report
    report.problems.append(
        Problem(
            "no manifest.json: not an image archive",
            "make one with: mikrodock image save IMAGE --arch ARCH -o FILE",
        )
    )
    return report
