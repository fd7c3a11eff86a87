"""What an image layer may hold: the one check every path that reads an image runs.

``image save``, ``image inspect``, ``load`` and ``run --local`` all read layers through
:func:`check_member`, so they agree on what is refused:

- a name that leaves the image's root (``../../x``, ``bin/../../x``);
- a hard link whose target leaves the root (``../../etc/shadow``);
- a symlink whose relative target, taken from the link's own folder, climbs above the root
  (an absolute target is the container's own path and stays);
- character and block devices, unless the caller allows them (``--allow-devices``): RouterOS
  unpacks the layer as root, and a device node gives a container the router's hardware.

Setuid and setgid files stay, as in any image (``passwd``, ``ping``); :class:`EntryReport`
lists them so ``image inspect`` can show them.
"""

from __future__ import annotations

import posixpath
import tarfile
from dataclasses import dataclass, field

from mikrodock.errors import ImageError
from mikrodock.images.tarscan import Member

__all__ = ["DEVICE_TYPES", "EntryReport", "check_member", "escapes_root"]

DEVICE_TYPES = frozenset({tarfile.CHRTYPE, tarfile.BLKTYPE})
_SPECIAL_BITS = 0o6000  # setuid, setgid
_FIX = "rebuild the image from a trusted Dockerfile; mikrodock does not repair such layers"


@dataclass
class EntryReport:
    """What :func:`check_member` noticed without refusing: setuid/setgid files, devices."""

    setuid: list[str] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)


def escapes_root(path: str) -> bool:
    """Whether ``path`` (relative to the root; a leading / is the root) climbs above the root."""
    depth = 0
    for part in path.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False


def _mode(member: Member) -> int:
    text = member.raw[-512:][100:108].split(b"\0", 1)[0].strip(b" ")
    try:
        return int(text or b"0", 8)
    except ValueError:
        return 0


def check_member(
    member: Member, label: str, report: EntryReport, *, allow_devices: bool = False
) -> None:
    """Refuse ``member`` (an :class:`ImageError` naming it) if it may not be in an image."""
    name = member.name
    if escapes_root(name.lstrip("/")):
        raise ImageError(f"{label}: entry {name!r} points outside the image", hint=_FIX)
    if member.type == tarfile.LNKTYPE and escapes_root(member.linkname.lstrip("/")):
        raise ImageError(
            f"{label}: hard link {name!r} -> {member.linkname!r} points outside the image",
            hint=_FIX,
        )
    if member.type == tarfile.SYMTYPE and not member.linkname.startswith("/"):
        target = posixpath.join(posixpath.dirname(name.lstrip("/")), member.linkname)
        if escapes_root(target):
            raise ImageError(
                f"{label}: symlink {name!r} -> {member.linkname!r} points outside the image",
                hint=_FIX,
            )
    if member.type in DEVICE_TYPES:
        if not allow_devices:
            raise ImageError(
                f"{label}: {name!r} is a device node, which would give the container the "
                "router's hardware",
                hint="rebuild the image without device nodes; if you trust it, give "
                "--allow-devices to image save or load (then run --image-file)",
            )
        report.devices.append(name)
    if member.type == tarfile.REGTYPE and _mode(member) & _SPECIAL_BITS:
        report.setuid.append(name)
