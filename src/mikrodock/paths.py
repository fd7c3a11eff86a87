"""Where mikrodock keeps things on disk, and how it writes them.

Defaults come from platformdirs (cache, state, config). ``MIKRODOCK_HOME=DIR`` puts all three
under one folder (``DIR/cache``, ``DIR/state``, ``DIR/config``): tests and CI use it to stay
apart from the user's own files.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import platformdirs

from mikrodock.errors import DiskFull

__all__ = ["atomic_write", "cache_dir", "config_dir", "state_dir"]

_APP = "mikrodock"


def _home() -> Path | None:
    value = os.environ.get("MIKRODOCK_HOME")
    return Path(value).expanduser() if value else None


def _ensure(path: Path, mode: int = 0o700) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=mode)
    return path


def cache_dir() -> Path:
    """Downloaded things that can be fetched again: CHR images, registry blobs."""
    home = _home()
    return _ensure(home / "cache" if home else Path(platformdirs.user_cache_dir(_APP)))


def state_dir() -> Path:
    """Things that run: one folder per CHR machine, locks."""
    home = _home()
    return _ensure(home / "state" if home else Path(platformdirs.user_state_dir(_APP)))


def config_dir() -> Path:
    """What the user set: contexts (with credentials, 0600), pinned certificates."""
    home = _home()
    return _ensure(home / "config" if home else Path(platformdirs.user_config_dir(_APP)))


@contextlib.contextmanager
def _temp_beside(path: Path, mode: int) -> Iterator[Path]:
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    temp = Path(name)
    try:
        os.chmod(temp, mode)
        yield temp
    finally:
        temp.unlink(missing_ok=True)


def atomic_write(path: Path, data: str | bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a part.

    The file gets ``mode`` before any byte is written (0600 for secrets).
    """
    raw = data.encode() if isinstance(data, str) else data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _temp_beside(path, mode) as temp:
            with open(temp, "wb") as handle:
                handle.write(raw)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, path)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFull(
                f"the disk holding {path.parent} is full: {path.name} was not changed",
                hint="free some space there and run the command again",
            ) from None
        raise
