"""``chr run --package NAME``: extra RouterOS packages installed after the first boot.

MikroTik publishes the extra packages of a version as one zip next to the CHR image:
``<download>/<ver>/all_packages-x86-<ver>.zip`` (holding ``container-<ver>.npk``) or
``all_packages-arm64-<ver>.zip`` (holding ``container-<ver>-arm64.npk``). The zip is downloaded
once (resumable, into the cache) and the wanted ``.npk`` files are kept next to it.

Each ``.npk`` reaches the router through ``/tool/fetch`` from a one-shot HTTP server here. The
router sees this host as 10.0.2.2 (QEMU's user network), while the server listens on 127.0.0.1
only. RouterOS 7.18 and later activate uploaded packages with ``/system/package/apply-changes``;
before that a reboot does it. Either way the router restarts; it is ready again when
``/system/package`` lists every wanted package as installed.
"""

from __future__ import annotations

import re
import shutil
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import filelock

from mikrodock.chr.boot import tail
from mikrodock.chr.download import Progress, download_url, download_with_resume
from mikrodock.chr.provision import endpoint_of, router_for
from mikrodock.chr.state import MachineRecord
from mikrodock.errors import ImageError, MikrodockError, UsageError
from mikrodock.paths import cache_dir
from mikrodock.routeros.client import Timeouts
from mikrodock.routeros.connect import connect_sync
from mikrodock.routeros.fetch_source import OneShotServer
from mikrodock.routeros.retry import RetryPolicy
from mikrodock.routeros.version import parse_version

__all__ = ["GUEST_HOST", "fetch_packages", "install", "npk_name", "validate_names", "zip_name"]

GUEST_HOST = "10.0.2.2"
"""This host as a guest on QEMU's user network sees it."""

_NAME = re.compile(r"^[a-z][a-z0-9-]{0,40}$")
_APPLY_CHANGES_SINCE = "7.18"

Note = Callable[[str], None]


def validate_names(names: tuple[str, ...]) -> tuple[str, ...]:
    for name in names:
        if not _NAME.match(name):
            raise UsageError(
                f"bad --package {name!r}", hint="give a package name like container or iot"
            )
    return tuple(dict.fromkeys(names))


def zip_name(version: str, arch: str) -> str:
    return f"all_packages-{'arm64' if arch == 'aarch64' else 'x86'}-{version}.zip"


def npk_name(name: str, version: str, arch: str) -> str:
    return f"{name}-{version}{'-arm64' if arch == 'aarch64' else ''}.npk"


def _folder(version: str, arch: str) -> Path:
    path = cache_dir() / "chr" / "packages" / arch / version
    path.mkdir(parents=True, exist_ok=True)
    return path


def fetch_packages(
    names: tuple[str, ...], version: str, arch: str, progress: Progress | None = None
) -> list[Path]:
    """The ``.npk`` files of ``names`` for ``version``, downloaded and extracted once."""
    folder = _folder(version, arch)
    wanted = [folder / npk_name(name, version, arch) for name in names]
    if all(path.exists() for path in wanted):
        return wanted
    bundle = zip_name(version, arch)
    with filelock.FileLock(str(folder / ".lock")).acquire(timeout=3600):
        archive = folder / bundle
        if not archive.exists():
            part = folder / f".{bundle}.part"
            download_with_resume(f"{download_url()}/{version}/{bundle}", part, progress)
            part.rename(archive)
        try:
            with zipfile.ZipFile(archive) as zipped:
                members = {Path(info.filename).name: info for info in zipped.infolist()}
                for path in wanted:
                    if path.exists():
                        continue
                    info = members.get(path.name)
                    if info is None:
                        tail = npk_name("", version, arch)
                        have = sorted(m.removesuffix(tail) for m in members if m.endswith(tail))
                        raise UsageError(
                            f"{bundle} has no {path.name}",
                            hint=f"packages of {version}: {', '.join(have) or 'none'}",
                        )
                    staged = path.with_name(f".{path.name}.new")
                    with zipped.open(info) as source, open(staged, "wb") as target:
                        shutil.copyfileobj(source, target)
                    staged.rename(path)
        except zipfile.BadZipFile as exc:
            archive.unlink(missing_ok=True)
            raise ImageError(f"{bundle} is not a valid zip: {exc}", hint="run again") from exc
    return wanted


def _applies_changes(version: str) -> bool:
    try:
        from mikrodock.routeros.dialect import Dialect

        return Dialect.for_version(version).needs_apply_changes
    except MikrodockError:
        return parse_version(version) >= parse_version(_APPLY_CHANGES_SINCE)


def _upload(record: MachineRecord, npk: Path) -> None:
    with OneShotServer(npk, "127.0.0.1") as server:
        url = server.url.replace("http://127.0.0.1:", f"http://{GUEST_HOST}:", 1)
        with router_for(record) as ros:
            ros.command("tool", "fetch", {"url": url, "dst-path": npk.name, "output": "file"})
        if not server.sent_all.is_set():
            raise ImageError(
                f"{record.name} did not fetch {npk.name}",
                hint="the router must reach this host at 10.0.2.2 (QEMU user network)",
            )


def _installed(record: MachineRecord) -> set[str]:
    # Short timeouts, no retries: a restarting router accepts connections it never answers.
    quick = Timeouts(connect=2.0, read=3.0)
    try:
        with connect_sync(endpoint_of(record), timeouts=quick,
                          retry=RetryPolicy(attempts=1)) as ros:  # fmt: skip
            found = ros.print("system/package")
    except MikrodockError:
        return set()
    return {
        item.get("name", "")
        for item in found
        if item.get("available", "false") != "true" and not item.get("scheduled")
    }


def install(
    record: MachineRecord,
    names: tuple[str, ...],
    *,
    timeout: float,
    note: Note = lambda _: None,
    progress: Progress | None = None,
) -> dict[str, float]:
    """Upload and activate ``names`` on the running machine; wait until they are installed."""
    began = time.monotonic()
    with router_for(record) as ros:
        version = ros.get("system/resource").get("version", "").split(" ")[0]
    npks = fetch_packages(names, version, record.arch, progress)
    for npk in npks:
        _upload(record, npk)
    apply = _applies_changes(version)
    note(f"installing {', '.join(names)} ({'apply-changes' if apply else 'reboot'})")
    try:
        with router_for(record) as ros:
            if apply:
                ros.command("system/package", "apply-changes")
            else:
                ros.command("system", "reboot")
    except MikrodockError as exc:  # the router may drop the connection as it restarts
        if "connect" not in str(exc).lower():
            raise
    deadline = began + timeout
    time.sleep(1.0)
    while not set(names) <= _installed(record):
        if time.monotonic() > deadline:
            # The failed run removes the machine, so its console is quoted here, not referred to.
            console = tail(record.dir / "serial.log", 4) or "empty"
            raise ImageError(
                f"{', '.join(names)} not installed on {record.name} after {timeout:.0f} s;"
                f" console: {console}",
                hint="raise --timeout on a slow host; check the package exists for this version",
            )
        time.sleep(0.5)
    return {"packages": time.monotonic() - began}
