"""Image platforms (``linux/arm/v7``) and how RouterOS architectures map to them.

RouterOS runs containers for its own CPU only: ``x86_64`` and ``x86`` take ``linux/amd64``,
``arm64`` takes ``linux/arm64``, ``arm`` takes ``linux/arm/v7``. MIPS and other architectures
have no container support. Within a manifest list, a platform also accepts older variants its
CPU runs (``arm/v7`` runs ``arm/v6`` and ``arm/v5`` images; ``arm64`` runs ``arm64/v8``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mikrodock.errors import UsageError

__all__ = ["ROUTEROS_ARCHES", "Platform", "parse_platform", "platform_for_arch", "select"]

_ARCH_ALIASES = {
    "x86_64": "amd64",
    "x86-64": "amd64",
    "aarch64": "arm64",
    "armhf": "arm",
    "armel": "arm",
}

ROUTEROS_ARCHES: Mapping[str, str] = {
    "x86_64": "linux/amd64",
    "x86": "linux/amd64",
    "arm64": "linux/arm64",
    "arm": "linux/arm/v7",
}
"""RouterOS ``architecture-name`` -> the image platform its containers run."""

# For each (architecture, wanted variant): the variants accepted, best first.
_VARIANT_FALLBACK: Mapping[tuple[str, str | None], tuple[str | None, ...]] = {
    ("arm", "v7"): ("v7", "v6", "v5"),
    ("arm", "v6"): ("v6", "v5"),
    ("arm", "v8"): ("v8", "v7", "v6", "v5"),
    ("arm64", None): (None, "v8"),
    ("arm64", "v8"): ("v8", None),
    ("amd64", None): (None, "v1"),
}


@dataclass(frozen=True, order=True)
class Platform:
    """An OS, a CPU architecture and an optional variant, as OCI indexes write them."""

    os: str
    architecture: str
    variant: str | None = None

    def __str__(self) -> str:
        text = f"{self.os}/{self.architecture}"
        return f"{text}/{self.variant}" if self.variant else text

    def accepts(self) -> tuple[Platform, ...]:
        """Platforms whose images run here, best first."""
        variants = _VARIANT_FALLBACK.get((self.architecture, self.variant), (self.variant,))
        return tuple(Platform(self.os, self.architecture, v) for v in variants)

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Platform:
        """From an index's ``platform`` object or an image config (``os``, ``architecture``)."""
        variant = data.get("variant")
        return cls(
            str(data.get("os") or "linux"),
            _normalise_arch(str(data.get("architecture") or "")),
            str(variant) if variant else None,
        )


def _normalise_arch(arch: str) -> str:
    arch = arch.strip().lower()
    return _ARCH_ALIASES.get(arch, arch)


def parse_platform(text: str) -> Platform:
    """``linux/arm64``, ``linux/arm/v7``, ``arm64`` (os defaults to linux)."""
    parts = [part.strip() for part in text.strip().split("/")]
    if not all(parts) or len(parts) > 3:
        raise UsageError(
            f"invalid platform {text!r}",
            hint="write it as os/arch[/variant], e.g. linux/arm64 or linux/arm/v7",
        )
    if len(parts) == 1:
        parts = ["linux", *parts]
    os_name, arch = parts[0].lower(), _normalise_arch(parts[1])
    variant = parts[2].lower() if len(parts) == 3 else None
    if arch == "arm" and variant is None:
        variant = "v7"
    return Platform(os_name, arch, variant)


def platform_for_arch(arch: str) -> Platform:
    """The platform a RouterOS ``architecture-name`` runs; UsageError for others (mips...)."""
    key = arch.strip().lower()
    if key not in ROUTEROS_ARCHES:
        raise UsageError(
            f"RouterOS architecture {arch!r} cannot run containers",
            hint=f"containers run on {', '.join(ROUTEROS_ARCHES)}",
        )
    return parse_platform(ROUTEROS_ARCHES[key])


def select(wanted: Platform, available: Iterable[Platform]) -> int | None:
    """The index in ``available`` of the best match for ``wanted``, or None."""
    candidates = list(available)
    for accepted in wanted.accepts():
        for index, platform in enumerate(candidates):
            if platform == accepted:
                return index
    return None
