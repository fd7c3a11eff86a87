"""The ``mikrodock`` command: builds the root Typer app and turns errors into exit codes.

Every command group lives in its own module with a ``register(root)`` function; this module only
wires them together and owns the one place where exceptions become a line on stderr.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import traceback
from types import FrameType

import typer

from mikrodock import __version__
from mikrodock.cli import app as app_cli
from mikrodock.cli import chr as chr_cli
from mikrodock.cli import chr_docker as chr_docker_cli
from mikrodock.cli import compose as compose_cli
from mikrodock.cli import container as container_cli
from mikrodock.cli import context as context_cli
from mikrodock.cli import image as image_cli
from mikrodock.cli import info as info_cli
from mikrodock.cli import lab as lab_cli
from mikrodock.cli import sim as sim_cli
from mikrodock.cli import tls_pin
from mikrodock.errors import MikrodockError

root = typer.Typer(
    name="mikrodock",
    help=(
        "RouterOS and containers, together.\n\n"
        "Run RouterOS CHR machines on this machine as easily as `docker run` (mikrodock chr ...),"
        " and use the Docker command line for containers on a RouterOS router"
        " (mikrodock run / ps / logs / exec / compose ...)."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"mikrodock {__version__}")
        raise typer.Exit()


@root.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="Print the version."
    ),
    debug: bool = typer.Option(
        False, "--debug", help="Show tracebacks for errors (or set MIKRODOCK_DEBUG=1)."
    ),
    tls_pin_fingerprint: str | None = typer.Option(
        None,
        "--tls-pin-fingerprint",
        envvar="MIKRODOCK_TLS_PIN_FINGERPRINT",
        metavar="SHA256",
        help="With --tls-pin: the certificate fingerprint to pin (needed without a terminal).",
        show_default=False,
    ),
) -> None:
    if debug:
        os.environ["MIKRODOCK_DEBUG"] = "1"
    tls_pin.install(tls_pin.parse(tls_pin_fingerprint))


for _module in (
    context_cli,
    info_cli,
    sim_cli,
    chr_cli,
    chr_docker_cli,
    lab_cli,
    container_cli,
    image_cli,
    app_cli,
    compose_cli,
):
    _module.register(root)


def _terminate_like_ctrl_c(_signum: int, _frame: FrameType | None) -> None:
    # SIGINT's handling (asyncio cancels the work, which rolls back what it changed) for SIGTERM
    signal.raise_signal(signal.SIGINT)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script: one line on stderr and exit 2 for our errors.

    SIGTERM is taken like Ctrl-C, so a command stopped by a service manager or a CI job
    undoes a half-made change just the same."""
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminate_like_ctrl_c)
    try:
        _main(argv)
    finally:
        tls_pin.install_default()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main(argv: list[str] | None) -> None:
    try:
        result = root(args=argv, prog_name="mikrodock", standalone_mode=False)
        # Outside standalone mode, click returns a typer.Exit's code instead of raising it.
        if isinstance(result, int) and result:
            sys.exit(result)
    except MikrodockError as error:
        if os.environ.get("MIKRODOCK_DEBUG"):
            traceback.print_exc()  # the traceback, and still the exit code of the error
        typer.echo(f"mikrodock: error: {error.one_line()}", err=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        typer.echo("mikrodock: interrupted", err=True)
        sys.exit(130)
    except typer.Exit as exit_:
        sys.exit(exit_.exit_code)
    except typer.Abort:
        typer.echo("mikrodock: aborted", err=True)
        sys.exit(1)
    except typer.TyperException as error:  # usage errors of the (vendored) click parser
        show = getattr(error, "show", None)
        if callable(show):
            show()
        sys.exit(int(getattr(error, "exit_code", 2)))
