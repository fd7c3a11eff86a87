"""CLI: ``mikrodock image save`` and ``mikrodock image inspect``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from mikrodock.cli._common import JsonOpt, print_json, router_command, with_router
from mikrodock.errors import UsageError
from mikrodock.images.auth import Credentials
from mikrodock.images.convert import save_image
from mikrodock.images.inspect import inspect_archive
from mikrodock.images.platforms import Platform, parse_platform, platform_for_arch
from mikrodock.images.progress import RichByteProgress

image_app = typer.Typer(
    help="Make images RouterOS can import (one plain layer, its architecture).",
    no_args_is_help=True,
)


def _platform(platform: str | None, arch: str | None) -> Platform:
    if platform and arch:
        raise UsageError("give --platform or --arch, not both", hint="e.g. --arch arm64")
    if platform:
        return parse_platform(platform)
    if arch:
        return platform_for_arch(arch)
    raise UsageError(
        "which architecture is the router?",
        hint="add --arch (x86_64, arm64, arm) or --platform (linux/arm64)",
    )


def _prompt(registry: str) -> Credentials | None:
    if not sys.stdin.isatty():
        return None
    typer.echo(f"{registry} wants a login.", err=True)
    user = typer.prompt("Username", err=True)
    password = typer.prompt("Password", hide_input=True, err=True)
    return Credentials(user, password)


@image_app.command("save")
def save(
    image: str = typer.Argument(
        None, help="Image (nginx, ghcr.io/owner/app:tag); with --from-archive, its name there."
    ),
    output: Path = typer.Option(..., "-o", "--output", help="Archive to write."),
    platform: str = typer.Option(None, "--platform", help="Image platform, e.g. linux/arm64."),
    arch: str = typer.Option(None, "--arch", help="RouterOS architecture: x86_64, arm64, arm."),
    from_archive: Path = typer.Option(
        None, "--from-archive", help="Read a docker/podman save archive or an OCI layout."
    ),
    insecure: bool = typer.Option(
        False, "--insecure-registry", help="Allow plain HTTP or an unchecked certificate."
    ),
    allow_devices: bool = typer.Option(
        False, "--allow-devices", help="Keep device nodes the image holds (refused by default)."
    ),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No progress bars."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Pull IMAGE (or read an archive) and write the one-layer archive RouterOS imports."""
    wanted = _platform(platform, arch)
    show = not (quiet or as_json) and sys.stderr.isatty()
    progress = RichByteProgress() if show else None
    if progress is not None:
        with progress:
            saved = save_image(
                image,
                wanted,
                output,
                from_archive=from_archive,
                insecure=insecure,
                prompt=_prompt,
                progress=progress,
                allow_devices=allow_devices,
            )
    else:
        saved = save_image(
            image,
            wanted,
            output,
            from_archive=from_archive,
            insecure=insecure,
            prompt=_prompt,
            allow_devices=allow_devices,
        )
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "path": str(saved.path),
                    "size": saved.size,
                    "layer_size": saved.layer_size,
                    "diff_id": saved.diff_id,
                    "platform": str(wanted),
                    "entries": saved.stats.entries,
                }
            )
        )
        return
    typer.echo(
        f"wrote {saved.path} ({saved.size / 1048576:.1f} MiB, one layer, {wanted},"
        f" {saved.stats.entries} entries)"
    )


@image_app.command("inspect")
def inspect(
    file: Path = typer.Argument(..., help="Image archive (or OCI layout folder)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Say whether RouterOS will import FILE and, if not, why and how to fix it."""
    report = inspect_archive(file)
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        verdict = "RouterOS can import it" if report.accepted else "RouterOS will refuse it"
        typer.echo(f"{file}: {report.format}, {verdict}")
        if report.platform:
            arches = ", ".join(report.routeros_arches) or "none"
            typer.echo(f"  platform {report.platform} (RouterOS arch: {arches})")
        if report.repo_tags:
            typer.echo(f"  tags {', '.join(report.repo_tags)}")
        if report.images:
            typer.echo(f"  {report.images} image(s), {report.layers} layer(s)")
        if report.setuid:
            typer.echo(f"  setuid/setgid: {', '.join(report.setuid)}")
        for problem in report.problems:
            typer.echo(f"  problem: {problem.why}")
            typer.echo(f"      fix: {problem.fix}")
    if not report.accepted:
        # SystemExit, not typer.Exit: the root runs click with standalone_mode=False, which
        # turns typer.Exit into a return value and loses the code.
        raise SystemExit(1)


@router_command
def load(
    source: str = typer.Argument(..., help="Image archive, OCI layout, or registry image."),
    file_name: str = typer.Option(
        None, "--file-name", help="Router file to write (default: from the image name)."
    ),
    name: str = typer.Option(
        None, "--name", help="Also add a container of this name from the image (not started)."
    ),
    keep_file: bool = typer.Option(
        False, "--keep-file", help="With --name: keep the uploaded file on the router."
    ),
    image_name: str = typer.Option(
        None, "--image", help="Which image of a multi-image archive or layout (its name)."
    ),
    insecure_registry: bool = typer.Option(
        False, "--insecure-registry", help="Allow plain HTTP or an unchecked certificate."
    ),
    serve_address: str = typer.Option(
        None, "--serve-address", help="Address of this machine the router can fetch from."
    ),
    allow_devices: bool = typer.Option(
        False, "--allow-devices", help="Keep device nodes the image holds (refused by default)."
    ),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No progress bars."),
    as_json: JsonOpt = False,
) -> None:
    """Put an image on the router (converted for its architecture when needed).

    With --name, add a container from it (then: mikrodock start NAME); without, start one
    later with: mikrodock run --image-file FILE ...
    """
    from mikrodock.images.load import Loaded, load_image

    show = not (quiet or as_json) and sys.stderr.isatty()
    progress = RichByteProgress() if show else None

    async def action(ros: Any) -> Any:
        async def add_container(loaded: Loaded) -> None:
            from mikrodock.containers.router import AsyncRouter
            from mikrodock.containers.spec import ContainerSpec

            spec = ContainerSpec(
                name=name, image=source, image_file=loaded.router_file, start=False
            )
            await AsyncRouter(ros).run(spec)

        return await load_image(
            ros,
            source,
            file_name=file_name,
            image_name=image_name,
            insecure=insecure_registry,
            prompt=_prompt,
            progress=progress,
            address=serve_address,
            then=add_container if name else None,
            keep_file=keep_file,
            allow_devices=allow_devices,
        )

    if progress is not None:
        with progress:
            loaded = with_router(action)
    else:
        loaded = with_router(action)
    kept = not name or keep_file
    if as_json:
        print_json(
            {
                "file": loaded.router_file if kept else None,
                "platform": str(loaded.platform),
                "converted": loaded.converted,
                "size": loaded.size,
                "container": name,
            }
        )
        return
    how = "converted and uploaded" if loaded.converted else "uploaded"
    if name:
        left = f"; file {loaded.router_file} kept" if keep_file else ""
        typer.echo(
            f"{how} {source} ({loaded.platform}); container {name} added{left};"
            f" start it with: mikrodock start {name}"
        )
        return
    typer.echo(
        f"{how} {source} as router file {loaded.router_file} ({loaded.platform});"
        f" start it with: mikrodock run --image-file {loaded.router_file} ..."
    )


def register(root: typer.Typer) -> None:
    """Add ``image`` and ``load`` to the root command."""
    root.add_typer(image_app, name="image")
    root.command("load")(load)
