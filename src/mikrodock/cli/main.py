"""The ``mikrodock`` command: the one place where exceptions become a line on stderr and an
exit code.

The root group and its commands live in :mod:`mikrodock.cli.root`, imported only when a command
runs: ``mikrodock --version`` answers before any of it (or typer) is imported.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any

__all__ = ["main"]


def __getattr__(name: str) -> Any:
    if name == "root":  # the root group, for tests and tools that walk the commands
        from mikrodock.cli.root import root

        return root
    raise AttributeError(name)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script: one line on stderr and exit 2 for our errors, 130
    for Ctrl-C and 143 for SIGTERM (after the work in progress is rolled back)."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:
        from mikrodock import __version__

        print(f"mikrodock {__version__}")
        return
    # httpx's own command line (httpx._main, imported by httpx's __init__ when it can be) loads
    # click, rich and pygments, more than the rest of the client; httpx falls back to a stub
    # when it is missing, and mikrodock never calls it.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    from mikrodock.cli.signals import handling_sigterm

    try:
        with handling_sigterm():
            _main(args)
    finally:
        tls_pin = sys.modules.get("mikrodock.cli.tls_pin")
        if tls_pin is not None:  # a command that opened a client installed its own hook
            tls_pin.install_default()


def _echo_err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _main(argv: list[str]) -> None:
    import typer

    from mikrodock.cli.root import root
    from mikrodock.cli.signals import Stopped
    from mikrodock.errors import MikrodockError

    try:
        # Not root.main(): that turns Ctrl-C into a bare exit 130, before the rollback is told.
        root._main_shell_completion({}, "mikrodock", None)
        with root.make_context("mikrodock", list(argv)) as ctx:
            root.invoke(ctx)
    except MikrodockError as error:
        if os.environ.get("MIKRODOCK_DEBUG"):
            traceback.print_exc()  # the traceback, and still the exit code of the error
        _echo_err(f"mikrodock: error: {error.one_line()}")
        sys.exit(error.exit_code)
    except Stopped as stopped:
        what = "terminated" if stopped.signum == 15 else "interrupted"
        _echo_err(f"mikrodock: {what}" + (f"; {stopped.note}" if stopped.note else ""))
        sys.exit(stopped.exit_code)
    except KeyboardInterrupt:
        _echo_err("mikrodock: interrupted")
        sys.exit(130)
    except typer.Exit as exit_:
        sys.exit(exit_.exit_code)
    except typer.Abort:
        _echo_err("mikrodock: aborted")
        sys.exit(1)
    except typer.TyperException as error:  # usage errors of the (vendored) click parser
        _echo_err(f"mikrodock: error: {_usage_line(error)}")
        sys.exit(int(getattr(error, "exit_code", 2)))


def _usage_line(error: Exception) -> str:
    """A click usage error as one of our lines: the problem, then where the help is."""
    format_message = getattr(error, "format_message", None)
    text = " ".join(str(format_message() if callable(format_message) else error).split())
    text = text[:1].lower() + text[1:]
    ctx = getattr(error, "ctx", None)
    path = getattr(ctx, "command_path", "")
    return f"{text} (see `{path} -h`)" if path else text
