"""Fetching CHR images over HTTP: channel resolution, resumable downloads, published checksums.

Base URLs are settings so tests use a local server and users a mirror:
``MIKRODOCK_UPGRADE_URL`` (default ``https://upgrade.mikrotik.com/routeros``) answers
``NEWESTa7.<channel>`` with the newest version first on its body; ``MIKRODOCK_DOWNLOAD_URL``
(default ``https://download.mikrotik.com/routeros``) holds ``<ver>/chr-<ver>[-arm64].img.zip``.

A download goes to ``<dest>.part``; a cut connection resumes with an HTTP Range request, and the
caller renames the part only after verifying it, so a partial file is never used.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import httpx

from mikrodock.errors import ImageError, UsageError
from mikrodock.routeros.version import CHANNELS, parse_version

__all__ = [
    "Progress",
    "download_url",
    "download_with_resume",
    "fetch_published_sha256",
    "resolve_version",
    "upgrade_url",
]

Progress = Callable[[int, int | None], None]
"""Called with (bytes so far, total bytes or None)."""

_DEFAULT_UPGRADE = "https://upgrade.mikrotik.com/routeros"
_DEFAULT_DOWNLOAD = "https://download.mikrotik.com/routeros"
_ATTEMPTS = 6


def upgrade_url() -> str:
    return os.environ.get("MIKRODOCK_UPGRADE_URL", _DEFAULT_UPGRADE).rstrip("/")


def download_url() -> str:
    return os.environ.get("MIKRODOCK_DOWNLOAD_URL", _DEFAULT_DOWNLOAD).rstrip("/")


def zip_name(version: str, arch: str) -> str:
    suffix = "-arm64" if arch == "aarch64" else ""
    return f"chr-{version}{suffix}.img.zip"


def _client() -> httpx.Client:
    return httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0), follow_redirects=True)


def resolve_version(text: str) -> str:
    """``7.21.3`` stays itself; a channel name becomes the newest version on that channel."""
    if text not in CHANNELS:
        try:
            return str(parse_version(text))
        except UsageError:
            raise UsageError(
                f"unknown RouterOS version or channel {text!r}",
                hint=f"give a version like 7.21.3 or a channel: {', '.join(CHANNELS)}",
            ) from None
    url = f"{upgrade_url()}/NEWESTa7.{text}"
    try:
        with _client() as client:
            response = client.get(url)
    except httpx.HTTPError as exc:
        raise ImageError(
            f"cannot ask {url} for the newest {text} version: {exc}",
            hint="check the network or set MIKRODOCK_UPGRADE_URL to a reachable mirror",
        ) from exc
    words = response.text.split()
    if response.status_code != 200 or not words:
        raise ImageError(
            f"{url} answered {response.status_code} without a version",
            hint="check MIKRODOCK_UPGRADE_URL or give a version number instead of a channel",
        )
    return str(parse_version(words[0]))


def fetch_published_sha256(version: str, name: str) -> str | None:
    """The sha256 MikroTik publishes for ``name`` (``<ver>/<name>.sha256`` or ``SHA256SUMS``)."""
    base = f"{download_url()}/{version}"
    try:
        with _client() as client:
            for url in (f"{base}/{name}.sha256", f"{base}/SHA256SUMS"):
                response = client.get(url)
                if response.status_code != 200:
                    continue
                for line in response.text.splitlines():
                    parts = line.replace("*", " ").split()
                    if len(parts) == 1 and url.endswith(".sha256") and len(parts[0]) == 64:
                        return parts[0].lower()
                    if len(parts) >= 2 and parts[-1] == name and len(parts[0]) == 64:
                        return parts[0].lower()
    except httpx.HTTPError:
        return None
    return None


def download_with_resume(url: str, part: Path, progress: Progress | None = None) -> None:
    """Download ``url`` into ``part``, resuming what is already there; retry a cut connection."""
    last_error: Exception | None = None
    with _client() as client:
        for _ in range(_ATTEMPTS):
            have = part.stat().st_size if part.exists() else 0
            headers = {"Range": f"bytes={have}-"} if have else {}
            try:
                with client.stream("GET", url, headers=headers) as response:
                    if response.status_code == 416 and have:
                        return  # already complete
                    if response.status_code == 404:
                        raise ImageError(
                            f"{url} does not exist (404)",
                            hint="check the version (`mikrodock chr pull stable` picks the newest)"
                            " or MIKRODOCK_DOWNLOAD_URL",
                        )
                    if response.status_code not in (200, 206):
                        raise ImageError(
                            f"{url} answered {response.status_code}",
                            hint="try again later or set MIKRODOCK_DOWNLOAD_URL to a mirror",
                        )
                    append = response.status_code == 206
                    done = have if append else 0
                    length = response.headers.get("content-length")
                    total = done + int(length) if length is not None else None
                    with open(part, "ab" if append else "wb") as handle:
                        for chunk in response.iter_raw():
                            handle.write(chunk)
                            done += len(chunk)
                            if progress:
                                progress(done, total)
                    if total is not None and done < total:
                        raise httpx.ReadError("connection closed early")
                    return
            except (httpx.TransportError, httpx.RemoteProtocolError) as exc:
                last_error = exc
                continue
    raise ImageError(
        f"download of {url} kept failing: {last_error}",
        hint="run the same command again to resume, or use a mirror (MIKRODOCK_DOWNLOAD_URL)",
    )
