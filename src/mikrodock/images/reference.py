"""Image references (``nginx``, ``ghcr.io/owner/app:1.2``, ``localhost:5000/x@sha256:...``).

:func:`parse_reference` follows the grammar docker uses (distribution's ``reference`` package):

- the first path component is a registry host when it holds a ``.`` or a ``:`` or is
  ``localhost`` (or has upper-case letters); otherwise the image is on Docker Hub;
- Docker Hub names get ``library/`` when they have one component (``nginx`` is
  ``library/nginx``); ``docker.io`` and ``index.docker.io`` are Docker Hub;
- path components are lower-case ``[a-z0-9]`` runs joined by ``.``, ``_``, ``__`` or ``-`` runs;
- the tag is ``[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}``; with neither tag nor digest it is ``latest``;
- a digest is ``algorithm:hex`` (``sha256`` wants 64 lower-case hex digits).

RouterOS writes ``remote-image`` as docker does (``nginx:latest``, ``pihole/pihole:latest``,
``ghcr.io/owner/img:tag``). Some RouterOS versions only pull from other registries when
``/container/config registry-url`` points at them and the name has no registry prefix: a planner
that needs that uses :attr:`ImageReference.registry_url` and :attr:`ImageReference.unprefixed`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mikrodock.errors import UsageError

__all__ = ["DOCKER_HUB", "DOCKER_HUB_DISPLAY", "ImageReference", "parse_reference"]

DOCKER_HUB = "registry-1.docker.io"
"""Where Docker Hub's registry API answers."""

DOCKER_HUB_DISPLAY = "docker.io"
"""How people and docker write Docker Hub in image names."""

_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})

_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_DOMAIN_LABEL = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = re.compile(
    rf"(?:{_DOMAIN_LABEL}(?:\.{_DOMAIN_LABEL})*|\[[0-9a-fA-F:.]+\])(?::[0-9]{{1,5}})?"
)
_TAG = re.compile(r"[\w][\w.-]{0,127}", re.ASCII)
_DIGEST = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}")
_SHA256 = re.compile(r"[a-f0-9]{64}")
_MAX_NAME = 255

_EXAMPLES = "e.g. nginx, nginx:1.27, ghcr.io/owner/app:tag, localhost:5000/app@sha256:<64 hex>"


@dataclass(frozen=True)
class ImageReference:
    """A parsed, normalised image name.

    ``registry`` is the host (and port) the registry API answers on: ``registry-1.docker.io`` for
    Docker Hub. ``repository`` is the path inside it (``library/nginx``). ``tag`` is ``latest``
    when neither tag nor digest was given; with a digest only, ``tag`` is ``None``.
    """

    registry: str
    repository: str
    tag: str | None = "latest"
    digest: str | None = None

    @property
    def is_docker_hub(self) -> bool:
        return self.registry == DOCKER_HUB

    @property
    def display_registry(self) -> str:
        """The registry as people write it: ``docker.io`` for Docker Hub."""
        return DOCKER_HUB_DISPLAY if self.is_docker_hub else self.registry

    @property
    def insecure_by_default(self) -> bool:
        """Registries docker talks plain HTTP to without being told: loopback ones."""
        host = _host(self.registry)
        return host in ("localhost", "::1", "[::1]") or host.startswith("127.")

    @property
    def registry_url(self) -> str:
        """The URL for ``/container/config registry-url`` (``https://ghcr.io``)."""
        scheme = "http" if self.insecure_by_default else "https"
        return f"{scheme}://{self.registry}"

    @property
    def reference(self) -> str:
        """What selects the manifest: the digest when there is one, else the tag."""
        return self.digest or self.tag or "latest"

    @property
    def _suffix(self) -> str:
        text = f":{self.tag}" if self.tag else ""
        if self.digest:
            text += f"@{self.digest}"
        return text

    @property
    def short_repository(self) -> str:
        """The repository as docker prints it: ``nginx`` rather than ``library/nginx``."""
        if self.is_docker_hub and self.repository.startswith("library/"):
            return self.repository.removeprefix("library/")
        return self.repository

    @property
    def unprefixed(self) -> str:
        """The name without registry (``owner/img:tag``), for use with ``registry-url``."""
        return f"{self.short_repository}{self._suffix}"

    @property
    def remote_image(self) -> str:
        """How RouterOS's ``remote-image`` field wants it.

        Docker Hub images without registry (``nginx:latest``, ``pihole/pihole:latest``), others
        with it (``ghcr.io/owner/img:tag``).
        """
        if self.is_docker_hub:
            return self.unprefixed
        return f"{self.registry}/{self.repository}{self._suffix}"

    @property
    def familiar(self) -> str:
        """The short name docker shows (``nginx:latest``); same as :attr:`remote_image`."""
        return self.remote_image

    @property
    def qualified(self) -> str:
        """The full, unambiguous name: ``docker.io/library/nginx:latest``."""
        return f"{self.display_registry}/{self.repository}{self._suffix}"

    def with_digest(self, digest: str) -> ImageReference:
        """The same image pinned to ``digest``."""
        return ImageReference(self.registry, self.repository, self.tag, digest)

    def __str__(self) -> str:
        return self.qualified


def _host(registry: str) -> str:
    if registry.startswith("["):
        return registry.split("]", 1)[0] + "]"
    return registry.rsplit(":", 1)[0] if ":" in registry else registry


def _bad(text: str, why: str) -> UsageError:
    return UsageError(f"invalid image reference {text!r}: {why}", hint=_EXAMPLES)


def _split_registry(text: str, name: str) -> tuple[str, str]:
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
        if not _DOMAIN.fullmatch(first):
            raise _bad(text, f"{first!r} is not a valid registry host[:port]")
        port = first.rpartition(":")[2] if not first.endswith("]") else ""
        if port.isdigit() and not 1 <= int(port) <= 65535:
            raise _bad(text, f"port {port} of {first!r} is not in 1-65535")
        registry = DOCKER_HUB if first.lower() in _HUB_ALIASES else first
        return registry, rest
    return DOCKER_HUB, name


def parse_reference(text: str) -> ImageReference:
    """Parse an image name the way docker does; raise :class:`UsageError` on bad input."""
    raw = text.strip()
    if not raw:
        raise _bad(text, "it is empty")
    if any(ch.isspace() for ch in raw):
        raise _bad(text, "it contains white space")
    remainder, _, digest = raw.partition("@")
    if "@" in raw:
        if not _DIGEST.fullmatch(digest):
            raise _bad(text, "the digest must look like sha256:<64 hex digits>")
        algorithm, _, value = digest.partition(":")
        if algorithm == "sha256" and not _SHA256.fullmatch(value):
            raise _bad(text, "a sha256 digest has 64 lower-case hex digits")
    tag: str | None = None
    name = remainder
    colon = remainder.rfind(":")
    if colon > remainder.rfind("/"):
        name, tag = remainder[:colon], remainder[colon + 1 :]
        if not _TAG.fullmatch(tag):
            raise _bad(text, f"tag {tag!r} is not valid (letters, digits, _ . -, at most 128)")
    if not name:
        raise _bad(text, "the image name is missing")
    registry, path = _split_registry(text, name)
    if not path:
        raise _bad(text, "the repository name is missing after the registry")
    for component in path.split("/"):
        if not _COMPONENT.fullmatch(component):
            why = (
                "repository names must be lower-case"
                if component.lower() != component
                else f"path component {component!r} is not valid"
            )
            raise _bad(text, why)
    if registry == DOCKER_HUB and "/" not in path:
        path = f"library/{path}"
    if len(path) > _MAX_NAME:
        raise _bad(text, f"the repository name is longer than {_MAX_NAME} characters")
    if tag is None and not digest:
        tag = "latest"
    return ImageReference(registry, path, tag, digest or None)
