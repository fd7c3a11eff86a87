"""`--timeout` (or MIKRODOCK_TIMEOUT) bounds a command against a router that accepts the
connection and never answers: it fails within the limit, in one line, wherever the option is
given (before or after the command). A real process against a real listening socket."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

MIKRODOCK = Path(sys.executable).with_name("mikrodock")


@pytest.fixture
def silent_router() -> Iterator[str]:
    """A listener that accepts connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


@pytest.mark.parametrize(
    "where", ["before", "after", "env"], ids=["before the command", "after it", "env var"]
)
def test_an_unanswering_router_fails_within_the_timeout(
    silent_router: str, tmp_path: Path, where: str
) -> None:
    env = {**os.environ, "MIKRODOCK_PASSWORD": "x", "MIKRODOCK_HOME": str(tmp_path)}
    argv = [str(MIKRODOCK)]
    if where == "before":
        argv += ["--timeout", "1", "-H", silent_router, "info"]
    elif where == "after":
        argv += ["info", "-H", silent_router, "--timeout", "1"]
    else:
        env["MIKRODOCK_TIMEOUT"] = "1"
        argv += ["-H", silent_router, "info"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]  # after any "retrying" lines of the client
    assert last.startswith("mikrodock: error:") and "within 1 s" in last, done.stderr


def test_a_bad_timeout_is_a_usage_error(run_cli: object) -> None:
    code, _out, err = run_cli("--timeout", "0", "-H", "http://192.0.2.1", "info")  # type: ignore[operator]
    assert code == 2 and "--timeout" in err
