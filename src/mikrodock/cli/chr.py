"""CLI: ``mikrodock chr ...``: RouterOS CHR machines under QEMU, as easy as ``docker run``.

Each command parses its flags and makes one call into :mod:`mikrodock.chr`; output only here.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from mikrodock.cli._common import Command, JsonOpt, print_json, read_secret
from mikrodock.cli.progress import phase_status
from mikrodock.cli.tables import print_table
from mikrodock.errors import RouterError, UsageError

__all__ = ["register"]

chr_app = typer.Typer(
    help="RouterOS CHR machines under QEMU: pull, run, ls, stop, snapshot, console ...",
    no_args_is_help=True,
)
snapshot_app = typer.Typer(help="Save, restore and list machine snapshots.", no_args_is_help=True)
chr_app.add_typer(snapshot_app, name="snapshot")

ArchOpt = Annotated[str, typer.Option("--arch", help="Guest architecture: x86_64 or aarch64.")]
NameArg = Annotated[str, typer.Argument(help="Machine name.")]


def _err(text: str) -> None:
    typer.echo(text, err=True)


def _progress_bar() -> tuple[Progress, Callable[[int, int | None], None]]:
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    bar = Progress(
        TextColumn("[bold]downloading"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        transient=True,
    )
    task = bar.add_task("download", total=None)

    def update(done: int, total: int | None) -> None:
        if not bar.live.is_started:
            bar.start()
        bar.update(task, completed=done, total=total)

    return bar, update


@chr_app.command("pull")
def pull(
    version: Annotated[str, typer.Argument(help="Version (7.21.3) or channel (stable, ...).")],
    arch: ArchOpt = "x86_64",
    as_json: JsonOpt = False,
) -> None:
    """Download a CHR image into the cache (verified; resumes a cut download)."""
    from mikrodock.chr import images

    bar, update = _progress_bar()
    try:
        info = images.pull(version, arch, update)
    finally:
        if bar.live.is_started:
            bar.stop()
    if as_json:
        print_json(info.__dict__)
        return
    typer.echo(f"{info.arch} {info.version} sha256:{info.sha256[:16]} ({info.size >> 20} MiB)")


@chr_app.command("images")
def images_(as_json: JsonOpt = False) -> None:
    """List cached CHR images with their sizes."""
    from mikrodock.chr import images

    found = images.list_images()
    if as_json:
        print_json([info.__dict__ for info in found])
        return
    typer.echo(f"{'VERSION':<22}{'ARCH':<9}{'SHA256':<18}SIZE")
    for info in found:
        typer.echo(f"{info.version:<22}{info.arch:<9}{info.sha256[:16]:<18}{info.size >> 20} MiB")


@chr_app.command("rmi")
def rmi(
    version: Annotated[str, typer.Argument(help="Cached version.")], arch: ArchOpt = "x86_64"
) -> None:
    """Remove a cached image that no machine uses."""
    from mikrodock.chr.api import Chr

    Chr().rmi(version, arch=arch)
    typer.echo(f"removed {arch} {version}")


def _print_ready(result: object, elapsed: float, *, as_json: bool = False) -> None:
    from mikrodock.chr.machine import RunResult
    from mikrodock.chr.state import ports_json

    assert isinstance(result, RunResult)
    record = result.record
    if as_json:
        print_json({"name": record.name, "url": record.url, "ports": ports_json(record.ports),
                    "accel": record.accel, "credentials": result.credentials,
                    "notes": result.notes, "seconds": round(elapsed, 2)})  # fmt: skip
        return
    ports = " ".join(f"{port.host}->{port.guest}" for port in sorted(record.ports))
    typer.echo(f"{record.name} ready in {elapsed:.1f} s ({record.accel.upper()}): {record.url}")
    typer.echo(f"  ports (127.0.0.1 host->guest): {ports}")
    typer.echo(f"  credentials: {result.credentials}")


@chr_app.command("run", cls=Command)
def run(
    version: Annotated[str, typer.Argument(help="Version or channel.")] = "stable",
    name: Annotated[str | None, typer.Option("--name", help="Machine name.")] = None,
    image: Annotated[
        Path | None,
        typer.Option(
            "--image", help="Local .img/.img.zip/.vmdk/.vdi/.qcow2 instead of a download."
        ),
    ] = None,
    arch: ArchOpt = "x86_64",
    memory: Annotated[str, typer.Option("--memory", "-m", help="Guest memory.")] = "256M",
    cpus: Annotated[int, typer.Option("--cpus", help="Guest CPUs.")] = 1,
    publish: Annotated[
        list[str] | None, typer.Option("-p", "--publish", help="HOST:GUEST port (repeat).")
    ] = None,
    publish_all_interfaces: Annotated[
        bool,
        typer.Option("--publish-all-interfaces", help="Bind forwarded ports on every interface."),
    ] = False,
    accel: Annotated[str, typer.Option("--accel", help="auto, kvm, hvf or tcg.")] = "auto",
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Admin password from stdin (default: generated)."),
    ] = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="Keep admin's empty password (tests only).")
    ] = False,
    device_mode: Annotated[
        list[str] | None,
        typer.Option("--device-mode", help="KEY=VALUE device-mode change (repeat)."),
    ] = None,
    package: Annotated[
        list[str] | None,
        typer.Option("--package", help="Extra package to install, like container (repeat)."),
    ] = None,
    from_snapshot: Annotated[
        str | None,
        typer.Option("--from", help="Clone MACHINE:TAG (a saved snapshot) instead of booting."),
    ] = None,
    link: Annotated[
        list[str] | None,
        typer.Option(
            "--link",
            help="PEER:etherN[=etherM]: wire a new NIC of the running PEER to this machine.",
        ),
    ] = None,
    detach: Annotated[
        bool, typer.Option("--detach", "-d", help="Return once ready (the default).")
    ] = False,
    attach_console: Annotated[
        bool, typer.Option("--console", help="Attach to the serial console once ready.")
    ] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for ready.")] = 300,
    as_json: JsonOpt = False,
) -> None:
    """Start a new CHR machine; returns (detached) when its REST API answers."""
    from mikrodock.chr import machine
    from mikrodock.chr.launch import launch

    password: str | None = None
    if password_stdin:
        password = read_secret(from_stdin=True, prompt="Admin password") or ""
        if not password:
            raise UsageError("--password-stdin got an empty password", hint="pipe a password")
    elif no_password:
        password = ""
    if detach and attach_console:
        raise UsageError("--detach and --console contradict", hint="give one of them")
    if attach_console and as_json:
        raise UsageError("--console and --json contradict", hint="give one of them")
    modes: dict[str, str] = {}
    for item in device_mode or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"bad --device-mode {item!r}", hint="write KEY=VALUE")
        modes[key] = value
    started = time.monotonic()
    request = machine.RunRequest(
        image=version, image_path=image, name=name, arch=arch, memory=memory, cpus=cpus,
        publish=tuple(publish or ()), publish_all=publish_all_interfaces, accel=accel,
        password=password, device_mode=modes, packages=tuple(package or ()),
        timeout=timeout, link_to=tuple(link or ()), from_snapshot=from_snapshot,
    )  # fmt: skip
    bar, update = _progress_bar()

    def end_bar() -> None:
        if bar.live.is_started:
            bar.stop()

    try:
        with phase_status(quiet=as_json, before_first=end_bar) as phase:
            result = launch(
                request, note=lambda text: _err(f"note: {text}"), progress=update, phase=phase
            )
    finally:
        end_bar()
    elapsed = time.monotonic() - started
    _print_ready(result, elapsed, as_json=as_json)
    if as_json:
        return
    for nic in result.record.links:
        typer.echo(f"  {nic.interface} linked to {nic.peer or '-'}")
    if attach_console:
        console(result.record.name)


def _uptime(seconds: float) -> str:
    if not seconds:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


@chr_app.command("ls")
def ls(as_json: JsonOpt = False) -> None:
    """List machines (and strays: dead machines, QEMUs without a folder)."""
    from mikrodock.chr.status import list_machines

    found = list_machines()
    if as_json:
        print_json([item.to_dict() for item in found])
        return
    rows = [
        (
            item.name,
            item.version,
            item.state,
            item.accel or "-",
            _uptime(item.uptime),
            ",".join(f"{port.host}->{port.guest}" for port in sorted(item.ports)),
        )
        for item in found
    ]
    print_table(
        ("NAME", "VERSION", "STATE", "ACCEL", "UPTIME", "PORTS"),
        rows,
        empty="no machines (start one with: mikrodock chr run)",
    )


@chr_app.command("stop", cls=Command)
def stop(names: Annotated[list[str], typer.Argument(help="Machine names.")],
         force: Annotated[bool, typer.Option("--force", "-f", help="Kill at once.")] = False,
         timeout: Annotated[float, typer.Option("--timeout", help="Seconds before quit.")] = 30,
         ) -> None:  # fmt: skip
    """Power machines down (ACPI over QMP; quit after --timeout)."""
    from mikrodock.chr import machine

    for name in names:
        machine.stop(name, force=force, timeout=timeout)
        typer.echo(name)


@chr_app.command("start")
def start(name: NameArg,
          timeout: Annotated[float, typer.Option("--timeout", help="Seconds to ready.")] = 300,
          as_json: JsonOpt = False) -> None:  # fmt: skip
    """Boot a stopped machine again."""
    from mikrodock.chr import machine

    began = time.monotonic()
    result = machine.start(name, timeout=timeout, note=lambda text: _err(f"note: {text}"))
    _print_ready(result, time.monotonic() - began, as_json=as_json)


@chr_app.command("rm", cls=Command)
def rm(names: Annotated[list[str], typer.Argument(help="Machine names.")],
       force: Annotated[bool, typer.Option("--force", "-f", help="Also running ones.")] = False,
       ) -> None:  # fmt: skip
    """Remove machines (their overlay, sockets, logs); also dead machines and stray QEMUs."""
    from mikrodock.chr import machine

    for name in names:
        machine.remove(name, force=force)
        typer.echo(name)


@chr_app.command("logs")
def logs(name: NameArg,
         follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep following.")] = False,
         ) -> None:  # fmt: skip
    """Print the serial console log."""
    from mikrodock.chr.console import follow_log

    def write(data: bytes) -> None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()

    follow_log(name, write, follow=follow)


@chr_app.command("console")
def console(name: NameArg) -> None:
    """Attach to the serial console; detach with Ctrl-]."""
    from mikrodock.chr.console import attach

    attach(name, on_attached=lambda: _err(f"attached to {name}'s console; detach with Ctrl-]"))
    _err("\r\ndetached")


@chr_app.command("exec")
def exec_(name: NameArg, script: Annotated[str, typer.Argument(help="RouterOS command.")]) -> None:
    """Run a RouterOS command through REST /execute and print what it printed."""
    from mikrodock.chr import machine

    try:
        output = machine.exec_script(name, script)
    except RouterError as error:
        _err(f"mikrodock: {error.one_line()}")
        raise typer.Exit(1) from None
    if output:
        typer.echo(output)


@chr_app.command("ssh-config")
def ssh_config(name: NameArg) -> None:
    """Print an ssh_config block for the machine (append it to ~/.ssh/config)."""
    from mikrodock.chr import machine

    typer.echo(machine.ssh_config(name), nl=False)


SnapRef = Annotated[str, typer.Argument(help="The snapshot as NAME:TAG (machine and tag).")]
OldTag = Annotated[str | None, typer.Argument(hidden=True, show_default=False)]


def _snapshot_ref(ref: str, old_tag: str | None) -> tuple[str, str]:
    """``NAME:TAG`` (as ``chr run --from`` takes it), or the older ``NAME TAG``."""
    if old_tag is not None and ":" not in ref:
        return ref, old_tag
    name, colon, tag = ref.partition(":")
    if not (colon and name and tag) or old_tag is not None:
        raise UsageError(f"bad snapshot {ref!r}", hint="give it as NAME:TAG, e.g. r1:base")
    return name, tag


@snapshot_app.command("save")
def snapshot_save(ref: SnapRef, old_tag: OldTag = None) -> None:
    """Save a running machine (memory and disk)."""
    name, tag = _snapshot_ref(ref, old_tag)
    from mikrodock.chr import snapshots

    info = snapshots.save(name, tag)
    typer.echo(f"saved {name}:{tag} ({(info.disk_bytes + info.state_bytes) >> 20} MiB)")


@snapshot_app.command("restore")
def snapshot_restore(ref: SnapRef, old_tag: OldTag = None, as_json: JsonOpt = False) -> None:
    """Bring a machine back to a snapshot, running."""
    name, tag = _snapshot_ref(ref, old_tag)
    from mikrodock.chr import snapshots

    began = time.monotonic()
    result = snapshots.restore(name, tag, note=lambda text: _err(f"note: {text}"))
    _print_ready(result, time.monotonic() - began, as_json=as_json)


@snapshot_app.command("ls")
def snapshot_ls(as_json: JsonOpt = False) -> None:
    """List saved snapshots."""
    from mikrodock.chr import snapshots

    found = snapshots.list_snapshots()
    if as_json:
        print_json([info.__dict__ for info in found])
        return
    rows = [
        (
            f"{info.machine}:{info.tag}",
            info.version,
            f"{info.memory_mib} MiB",
            f"{(info.disk_bytes + info.state_bytes) >> 20} MiB",
        )
        for info in found
    ]
    print_table(("SNAPSHOT", "VERSION", "MEMORY", "SIZE"), rows, empty="no snapshots")


@snapshot_app.command("rm")
def snapshot_rm(ref: SnapRef, old_tag: OldTag = None) -> None:
    """Remove a snapshot no machine was cloned from."""
    name, tag = _snapshot_ref(ref, old_tag)
    from mikrodock.chr import snapshots

    snapshots.remove_snapshot(name, tag)
    typer.echo(f"{name}:{tag}")


def register(root: typer.Typer) -> None:
    """Add the ``chr`` group to the root command."""
    root.add_typer(chr_app, name="chr")
