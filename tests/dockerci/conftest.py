"""Helpers for the docker/CI tests: the `mikrodock` CLI with this group's commands in it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest


def ensure_registered() -> None:
    """Add chr dockerfile/serve/health and lab export to the root app once (main.py may not yet)."""
    from mikrodock.cli import chr_docker
    from mikrodock.cli.main import root

    for info in root.registered_groups:
        if info.name == "lab":
            return
    chr_docker.register(root)


@dataclass
class Ran:
    exit_code: int
    output: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Ran]:
    """Run `mikrodock ARGS...` in this process through the real entry point (error handling
    and exit codes included)."""
    from mikrodock.cli.main import main

    ensure_registered()

    def invoke(*args: str) -> Ran:
        capsys.readouterr()
        code = 0
        try:
            main(list(args))
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return invoke
