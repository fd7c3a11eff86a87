"""CLI: ``mikrodock chr dockerfile|serve|health`` (Docker packaging of one CHR).

The ``chr`` commands join the ``chr`` group when one is registered already (cli/chr.py), else a
``chr`` group is made here. Each command parses its flags and makes one call into the library.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from mikrodock.cli._common import JsonOpt, print_json

__all__ = ["register"]

_REGISTERED: set[int] = set()
ArchOpt = Annotated[str, typer.Option("--arch", help="Guest architecture: x86_64 or aarch64.")]


def dockerfile(
    version: Annotated[
        str | None,
        typer.Argument(
            help="RouterOS version or channel, resolved now for a fixed image (default stable;"
            " with --image: a label for the image's tag, default local).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[Path, typer.Option("-o", "--output", help="Folder for the build context.")] = (
        Path("mikrodock-chr")
    ),
    arch: ArchOpt = "x86_64",
    compose: Annotated[
        bool, typer.Option("--compose", help="Also write a docker-compose.yml beside it.")
    ] = False,
    image: Annotated[
        Path | None,
        typer.Option("--image", help="Bake this local CHR image in instead of pulling one."),
    ] = None,
    wheel: Annotated[
        Path | None,
        typer.Option("--wheel", help="Install this mikrodock wheel instead of the PyPI release."),
    ] = None,
    memory: Annotated[str, typer.Option("--memory", help="The router's memory.")] = "256M",
    cpus: Annotated[int, typer.Option("--cpus", help="Virtual CPUs.")] = 1,
    base_image: Annotated[
        str,
        typer.Option("--base-image", help="The Debian-based image to build on (with python3)."),
    ] = "python:3.11-slim-bookworm",
    wheelhouse: Annotated[
        Path | None,
        typer.Option(
            "--wheelhouse",
            help="A folder of wheels (mikrodock and its dependencies): install with no index.",
        ),
    ] = None,
    snapshot: Annotated[
        bool,
        typer.Option(
            "--snapshot",
            help="Boot the router once during the build and bake its memory snapshot into the"
            " image: containers resume it instead of booting (x86_64).",
        ),
    ] = False,
    snapshot_nics: Annotated[
        int,
        typer.Option(
            "--snapshot-nics",
            help="Data interfaces in the snapshot (a container wired to another number boots"
            " cold).",
        ),
    ] = 0,
    json_: JsonOpt = False,
) -> None:
    """Write a Docker build context for an image that runs one CHR (mikrodock as entrypoint)."""
    from mikrodock.chr.docker.dockerfile import DockerImageSpec, resolve_version, write_context
    from mikrodock.routeros.values import parse_size

    if parse_size(memory) is None:
        from mikrodock.errors import UsageError

        raise UsageError(f"bad --memory {memory!r}", hint="write it like 256M or 1G")
    label = (version or "local") if image is not None else resolve_version(version or "stable")
    spec = DockerImageSpec(
        label, arch=arch, image_file=image, wheel=wheel, memory=memory, cpus=cpus,
        base_image=base_image, wheelhouse=wheelhouse, snapshot=snapshot,
        snapshot_nics=snapshot_nics,
    )  # fmt: skip
    written = write_context(spec, out, compose=compose)
    if json_:
        print_json({"tag": spec.tag, "version": spec.version, "files": [str(p) for p in written]})
        return
    for path in written:
        typer.echo(f"wrote {path}")
    typer.echo(f"build it: docker build -t {spec.tag} {out}")


def serve(
    version: Annotated[
        str, typer.Argument(help="RouterOS version or channel for the first start.")
    ] = "stable",
    image: Annotated[
        Path | None, typer.Option("--image", help="A local CHR image for the first start.")
    ] = None,
    name: Annotated[str, typer.Option("--name", help="Machine name.")] = "router",
    arch: ArchOpt = "x86_64",
    memory: Annotated[
        str, typer.Option("--memory", envvar="CHR_MEMORY", help="The router's memory.")
    ] = "256M",
    cpus: Annotated[int, typer.Option("--cpus", envvar="CHR_CPUS", help="Virtual CPUs.")] = 1,
    accel: Annotated[
        str, typer.Option("--accel", envvar="MIKRODOCK_ACCEL", help="auto, kvm, hvf or tcg.")
    ] = "auto",
    ports: Annotated[
        str,
        typer.Option(
            "--ports",
            help="container: every management and VPN port on its own number, all interfaces;"
            " auto: free ports on 127.0.0.1.",
        ),
    ] = "auto",
    port_offset: Annotated[
        int, typer.Option("--port-offset", help="Add this to host ports (--ports container).")
    ] = 0,
    password_file: Annotated[
        Path | None,
        typer.Option(
            "--password-file",
            envvar="MIKRODOCK_ADMIN_PASSWORD_FILE",
            help="Admin password for the first start from this file (or MIKRODOCK_ADMIN_PASSWORD;"
            " else generated).",
        ),
    ] = None,
    no_password: Annotated[
        bool,
        typer.Option(
            "--no-password",
            help="Keep RouterOS's empty admin password (tests only; as chr run --no-password).",
        ),
    ] = False,
    empty_password: Annotated[  # the older spelling of --no-password, kept for one release
        bool, typer.Option("--empty-password", hidden=True)
    ] = False,
    startup_script: Annotated[
        Path | None,
        typer.Option(
            "--startup-script",
            envvar="MIKRODOCK_STARTUP_SCRIPT",
            help="RouterOS script run once, after the first boot.",
        ),
    ] = None,
    stop_timeout: Annotated[
        float,
        typer.Option(
            "--stop-timeout",
            envvar="MIKRODOCK_STOP_TIMEOUT",
            help="Seconds for the ACPI power-down on SIGTERM before QEMU quits.",
        ),
    ] = 30.0,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for ready.")] = 300.0,
    console: Annotated[
        bool, typer.Option("--console", help="Copy the router's serial console to stdout.")
    ] = False,
    username: Annotated[
        str,
        typer.Option(
            "--username", envvar="USERNAME", help="containerlab: the router's user (full rights)."
        ),
    ] = "admin",
    clab_password: Annotated[
        str | None,
        typer.Option(
            "--password",
            envvar="PASSWORD",
            show_envvar=False,
            help="containerlab's way to give the password (prefer MIKRODOCK_ADMIN_PASSWORD_FILE).",
        ),
    ] = None,
    hostname: Annotated[
        str, typer.Option("--hostname", help="containerlab: the router's /system identity.")
    ] = "",
    connection_mode: Annotated[
        str,
        typer.Option(
            "--connection-mode",
            envvar="CONNECTION_MODE",
            help="containerlab: how data interfaces reach the router (tc).",
        ),
    ] = "tc",
    trace: Annotated[
        bool, typer.Option("--trace", help="containerlab: also copy the serial console.")
    ] = False,
    snapshot: Annotated[
        Path | None,
        typer.Option(
            "--snapshot",
            envvar="MIKRODOCK_SNAPSHOT",
            help="A snapshot baked into the image: resumed on the first start instead of a boot.",
        ),
    ] = None,
    bake: Annotated[
        Path | None,
        typer.Option(
            "--bake",
            help="Image build step: boot once under TCG, save a snapshot into this folder, exit.",
        ),
    ] = None,
    bake_nics: Annotated[
        int, typer.Option("--bake-nics", help="With --bake: data interfaces in the snapshot.")
    ] = 0,
) -> None:
    """Run one router in the foreground until SIGTERM (a container's entrypoint; also the
    containerlab mikrotik_ros node contract)."""
    import os

    from mikrodock.chr.docker.datalinks import plan
    from mikrodock.chr.docker.node import NodeIdentity, check_connection_mode, default_startup
    from mikrodock.chr.docker.serve import ServeRequest, admin_password
    from mikrodock.chr.docker.serve import serve as run_serve

    check_connection_mode(connection_mode)
    wiring, wiring_note = plan(os.environ)
    password = (
        "" if no_password or empty_password
        else admin_password(os.environ, password_file, clab_password)
    )  # fmt: skip
    startup_script = default_startup(startup_script)
    console = console or trace
    request = ServeRequest(
        image=version, image_path=image, name=name, arch=arch, memory=memory, cpus=cpus,
        accel=accel, ports=ports, port_offset=port_offset, password=password,
        startup_script=startup_script, stop_timeout=stop_timeout, boot_timeout=timeout,
        identity=NodeIdentity(username=username, hostname=hostname), wiring=wiring,
        wiring_note=wiring_note, snapshot=snapshot,
    )  # fmt: skip

    def note(text: str) -> None:
        typer.echo(f"mikrodock: {text}", err=True)

    if bake is not None:
        from mikrodock.chr.docker.baked import bake as bake_snapshot

        made = bake_snapshot(request, bake, bake_nics, note)
        typer.echo(f"snapshot in {bake}: {made.state_bytes} bytes of state ({made.qemu})")
        return

    def ready(text: str) -> None:
        typer.echo(text)

    stream = sys.stdout.buffer if console else None
    sys.exit(run_serve(request, note=note, ready=ready, console=stream))


def health(
    name: Annotated[str, typer.Option("--name", help="Machine name.")] = "router",
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait.")] = 5.0,
) -> None:
    """Exit 0 when the router's REST API answers, 1 otherwise (a Docker HEALTHCHECK)."""
    from mikrodock.chr.docker.health import health as check

    ok, reason = check(name, timeout=timeout)
    typer.echo(reason, err=not ok)
    sys.exit(0 if ok else 1)


def _chr_group(root: typer.Typer) -> typer.Typer:
    for info in root.registered_groups:
        if info.name == "chr" and info.typer_instance is not None:
            return info.typer_instance
    group = typer.Typer(help="RouterOS CHR machines under QEMU.", no_args_is_help=True)
    root.add_typer(group, name="chr")
    return group


def register(root: typer.Typer) -> None:
    """Add ``chr dockerfile|serve|health`` to the ``chr`` group (once per root)."""
    if id(root) in _REGISTERED:
        return
    _REGISTERED.add(id(root))
    group = _chr_group(root)
    group.command("dockerfile")(dockerfile)
    group.command("serve")(serve)
    group.command("health")(health)
