"""CLI: ``mikrodock sim``: serve a simulated RouterOS router on 127.0.0.1 until stopped."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from mikrodock.errors import UsageError


def _read_password(path: Path) -> str:
    try:
        text = path.read_text()
    except OSError as error:
        raise UsageError(
            f"cannot read the password file {path}: {error.strerror}",
            hint="give a readable file holding the password on its first line",
        ) from error
    lines = text.splitlines()
    return lines[0] if lines else ""


def sim_command(
    version: str = typer.Option(
        "7.22.3", "--router-version", help="RouterOS version to behave like."
    ),
    old_version: str | None = typer.Option(None, "--version", hidden=True),
    port: int = typer.Option(0, "--port", help="Port on 127.0.0.1 (0 picks a free one)."),
    api_port: int = typer.Option(
        0, "--api-port", help="Port of the RouterOS API protocol (0 picks a free one)."
    ),
    api_ssl_port: int = typer.Option(
        0, "--api-ssl-port", help="Port of API-SSL with --tls (0 picks a free one)."
    ),
    user: str = typer.Option("admin", "--router-user", help="User name clients must send."),
    old_user: str | None = typer.Option(None, "--user", hidden=True),
    password_file: Path | None = typer.Option(
        None, "--password-file", help="File with the password (without it, one is generated)."
    ),
    arch: str = typer.Option("x86_64", "--arch", help="x86_64, arm64 or arm."),
    no_container_package: bool = typer.Option(
        False, "--no-container-package", help="Start without the container package."
    ),
    extra_package: list[str] = typer.Option(
        [],
        "--extra-package",
        help="Start with this extra package installed too, e.g. iot (repeatable; a fresh "
        "CHR has none, see docs/SIM.md).",
        metavar="NAME",
    ),
    device_mode_locked: bool = typer.Option(
        False, "--device-mode-locked", help="Start with device-mode container=no."
    ),
    state: Path | None = typer.Option(
        None, "--state", help="Keep the router's state in this file (saved after each change)."
    ),
    fault: list[str] = typer.Option(
        [],
        "--fault",
        help="Inject a fault, e.g. 'PUT /rest/container* nth=2 kind=error500' (repeatable).",
        metavar="<spec>",
    ),
    tls: bool = typer.Option(False, "--tls", help="Serve https with a fresh self-signed CA."),
    extract_delay: float = typer.Option(
        0.2, "--extract-delay", help="Seconds a container stays extracting."
    ),
    start_delay: float = typer.Option(
        0.05, "--start-delay", help="Seconds a container stays starting (7.20+)."
    ),
    stop_delay: float = typer.Option(
        0.1, "--stop-delay", help="Seconds a container stays stopping."
    ),
    candidate: list[str] = typer.Option(
        [],
        "--candidate",
        help="Where public sources disagree, play this answer, e.g. 'image-field=repo' "
        "(repeatable; see docs/SIM.md).",
        metavar="NAME=VALUE",
    ),
    json_output: bool = typer.Option(False, "--json", help="Announce the server as JSON."),
) -> None:
    """Serve a simulated RouterOS router (REST, and the API protocol on --api-port) on
    127.0.0.1 until Ctrl-C or SIGTERM."""
    from mikrodock.sim import (  # heavy: only for this command
        Delays,
        Simulator,
        parse_candidate,
        parse_fault,
    )

    version, user = old_version or version, old_user or user  # the older spellings, kept hidden
    password = _read_password(password_file) if password_file else None
    sim = Simulator(
        version,
        arch,
        user,
        password,
        container_package=not no_container_package,
        extra_packages=tuple(extra_package),
        device_mode_locked=device_mode_locked,
        tls=tls,
        delays=Delays(extract=extract_delay, start=start_delay, stop=stop_delay),
        state_file=state,
        faults=[parse_fault(text) for text in fault],
        port=port,
        api_port=api_port,
        api_ssl_port=api_ssl_port,
        candidates=dict(parse_candidate(text) for text in candidate) if candidate else None,
    )
    info = sim.describe(str(password_file) if password_file else None)
    if json_output:
        typer.echo(json.dumps(info))
    else:
        extras = " ".join(
            f"{k}={v}" for k, v in info.items() if k not in ("url", "version", "arch")
        )
        typer.echo(f"{info['url']}  {extras}")
    sim.serve()


def register(root: typer.Typer) -> None:
    """Add ``mikrodock sim`` to the root command."""
    root.command("sim")(sim_command)
