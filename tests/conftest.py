"""Shared test setup: every test gets its own MIKRODOCK_HOME, so nothing touches the user's
files and tests do not see each other's contexts, machines or caches. Things that are costly to
build and never change (the test guest, downloaded kernels) go to the `persistent_cache` folder
instead, which outlives the run (``<repo>/.cache/tests``, ignored by git).

``run_cli("ps", "-a")`` runs ``mikrodock`` in this process through its real entry point (error
handling and exit codes included) and returns ``(code, out, err)``; ``sim_cli(sim, "run", ...)``
does the same against a simulator (its ``-H`` and password filled in)."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def pytest_configure(config: pytest.Config) -> None:
    """A run started in the background (``./setup.sh test &``, nohup) inherits SIGINT ignored,
    and every process the tests start would too; the tests that press Ctrl-C on a command need
    it delivered as a terminal delivers it, whoever started the run."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    home = tmp_path_factory.mktemp("mikrodock-home")
    monkeypatch.setenv("MIKRODOCK_HOME", str(home))
    monkeypatch.delenv("MIKRODOCK_PASSWORD", raising=False)
    monkeypatch.delenv("MIKRODOCK_HOST", raising=False)
    monkeypatch.delenv("MIKRODOCK_CONTEXT", raising=False)
    return home


# --- the product against every simulator candidate -------------------------------------------
# Where public sources disagree on what RouterOS answers, the simulator plays each candidate
# (mikrodock.sim.candidates). The whole suite runs on the default answers; the tests below, a
# representative subset of container, compose, image and deploy tests, run again on every other
# answer (each candidate value in at least one set), on simulated versions from 7.20 on, where
# the questions are open. MIKRODOCK_TEST_ALL_CANDIDATES=1 runs every sim test on every set.
SIM_CANDIDATE_SETS = {
    "default": "",
    "image-field=repo": "image-field=repo",
    "short-flags-set-only": "flag-names=short,flags=set",
}
CANDIDATE_TESTS = (
    "tests/containers/test_commands_sim.py::test_docker_commands[rest-7.22]",
    "tests/containers/test_router_api.py::",
    "tests/containers/test_lifecycle_races.py::",
    "tests/compose/test_compose_deploy.py::test_up_ps_logs_down[7.22.3]",
    "tests/compose/test_compose_edges.py::",
    "tests/images/test_run_local.py::",
    "tests/deploy/test_state_reads.py::",
)
_OLD_VERSIONS = ("7.15", "7.16", "7.17", "7.18", "7.19")


@pytest.fixture(autouse=True)
def sim_candidates(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The candidate set every simulator this test starts plays (``""``: the defaults)."""
    picked = SIM_CANDIDATE_SETS[getattr(request, "param", "default")]
    if picked:
        monkeypatch.setenv("MIKRODOCK_SIM_CANDIDATES", picked)
    else:
        monkeypatch.delenv("MIKRODOCK_SIM_CANDIDATES", raising=False)
    return picked


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    path = Path(metafunc.definition.path).relative_to(REPO).as_posix()
    if path.split("/")[1] not in ("containers", "compose", "images", "deploy"):
        return
    here = f"{path}::{metafunc.function.__name__}"
    chosen = any(
        test.startswith(here) or test == f"{path}::" for test in CANDIDATE_TESTS
    )  # the other tests keep their ids and run on the defaults only
    if chosen or os.environ.get("MIKRODOCK_TEST_ALL_CANDIDATES") == "1":
        metafunc.parametrize("sim_candidates", list(SIM_CANDIDATE_SETS), indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    everything = os.environ.get("MIKRODOCK_TEST_ALL_CANDIDATES") == "1"
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        chosen = callspec.params.get("sim_candidates", "default") if callspec else "default"
        if chosen == "default":
            kept.append(item)
            continue
        name = item.nodeid.replace(f"[{chosen}-", "[").replace(f"-{chosen}]", "]")
        name = name.replace(f"[{chosen}]", "").replace(f"-{chosen}-", "-")
        old = any(str(value).startswith(_OLD_VERSIONS) for value in callspec.params.values())
        wanted = everything or name.startswith(CANDIDATE_TESTS)
        (kept if wanted and not old else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def persistent_cache() -> Path:
    """A cache folder shared by all tests and kept between runs."""
    path = REPO / ".cache" / "tests"
    path.mkdir(parents=True, exist_ok=True)
    return path


class Ran(NamedTuple):
    code: int
    out: str
    err: str


RunCli = Callable[..., Ran]


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> RunCli:
    from mikrodock.cli.main import main

    def run(*args: str) -> Ran:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return run


def _on_terminal(argv: list[str], env: dict[str, str] | None = None, timeout: float = 300) -> Ran:
    """Run ``argv`` as its own process with stderr on a pseudo-terminal (where progress shows)
    and stdout on a pipe; returns its exit code, stdout and what the terminal received."""
    import os
    import pty
    import subprocess

    leader, follower = pty.openpty()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=follower, text=True)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    out, _ = proc.communicate(timeout=timeout)
    os.close(leader)
    return Ran(proc.returncode, out, seen.decode("utf-8", "replace"))


@pytest.fixture
def on_terminal() -> Callable[..., Ran]:
    """``on_terminal(argv, env)``: a real process whose stderr is a terminal (see above)."""
    return _on_terminal


class Lines:
    """A running process's stdout line by line, each waited for at most ``within`` seconds (no
    test waits forever for a line that never comes)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, args=(proc,), daemon=True).start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self._lines.put(line.rstrip("\n"))

    def next(self, within: float = 30) -> str:
        try:
            return self._lines.get(timeout=within)
        except queue.Empty:
            raise AssertionError("no line came") from None

    def take(self, count: int, within: float = 30) -> list[str]:
        return [self.next(within) for _ in range(count)]


@pytest.fixture
def stdout_lines() -> type[Lines]:
    """``stdout_lines(proc)``: a process's output lines as they come (see :class:`Lines`)."""
    return Lines


@pytest.fixture
def sim_cli(run_cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Ran]:
    def run(sim: Any, *args: str) -> Ran:
        monkeypatch.setenv("MIKRODOCK_PASSWORD", sim.password)
        words = 2 if args[0] in ("network", "system") else 1
        return run_cli(*args[:words], "-H", sim.url, *args[words:])

    return run
