"""CLI: ``mikrodock lab up|down|ls|export``: several CHR routers and their links from one file.

Each command parses its flags and makes one call into :mod:`mikrodock.lab`; output only here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from mikrodock.cli._common import JsonOpt, print_json
from mikrodock.cli.progress import phases_status
from mikrodock.cli.tables import print_table

__all__ = ["register"]

lab_app = typer.Typer(
    help="Labs: several CHR routers and their links from one YAML file.", no_args_is_help=True
)


def _err(text: str) -> None:
    typer.echo(text, err=True)


@lab_app.command("up")
def lab_up(file: Annotated[Path, typer.Argument(help="The lab file (YAML).")],
           as_json: JsonOpt = False) -> None:  # fmt: skip
    """Start every router of a lab and wire its links (all or nothing)."""
    from mikrodock.chr.state import ports_json
    from mikrodock.lab import machines

    began = time.monotonic()
    with phases_status(quiet=as_json) as phase:
        results = machines.lab_up(file, note=lambda text: _err(f"note: {text}"), phase=phase)
    if as_json:
        print_json([
            {"name": r.record.name, "url": r.record.url, "ports": ports_json(r.record.ports),
             "links": [nic.to_dict() for nic in r.record.links]}
            for r in results
        ])  # fmt: skip
        return
    typer.echo(f"lab up in {time.monotonic() - began:.1f} s")
    for result in results:
        peers = ", ".join(f"{nic.interface}->{nic.peer or '-'}" for nic in result.record.links)
        typer.echo(f"  {result.record.name}: {result.record.url}  {peers}")


@lab_app.command("down")
def lab_down(
    lab_ref: Annotated[str, typer.Argument(metavar="FILE|NAME", help="The lab file or name.")],
) -> None:
    """Remove every machine of a lab."""
    from mikrodock.lab import machines

    for name in machines.lab_down(lab_ref):
        typer.echo(name)


@lab_app.command("ls")
def lab_ls(as_json: JsonOpt = False) -> None:
    """List labs and the state of their machines."""
    from mikrodock.lab import machines

    found = machines.lab_ls()
    if as_json:
        print_json([{"name": item.name, "machines": item.machines} for item in found])
        return
    rows = [
        (item.name, ", ".join(f"{name} {state}" for name, state in sorted(item.machines.items())))
        for item in found
    ]
    print_table(("LAB", "MACHINES"), rows, empty="no labs (start one with: mikrodock lab up FILE)")


@lab_app.command("export")
def lab_export(
    file: Annotated[Path, typer.Argument(help="The lab file (YAML).")],
    containerlab: Annotated[
        bool, typer.Option("--containerlab", help="Write a containerlab topology.")
    ] = False,
    compose: Annotated[
        bool,
        typer.Option("--compose", help="Write a compose file of mikrodock CHR images."),
    ] = False,
    clabernetes: Annotated[
        bool, typer.Option("--clabernetes", help="Write a clabernetes Topology (Kubernetes).")
    ] = False,
    vrnetlab: Annotated[
        bool,
        typer.Option(
            "--vrnetlab", help="containerlab/clabernetes: vrnetlab images, not mikrodock's."
        ),
    ] = False,
    image_prefix: Annotated[
        str,
        typer.Option("--image-prefix", help="clabernetes: the registry path of the images."),
    ] = "",
    namespace: Annotated[
        str | None, typer.Option("--namespace", help="clabernetes: the Kubernetes namespace.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="File to write (default: beside the lab file)."),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Export a lab for containerlab (kind mikrotik_ros), docker compose or clabernetes."""
    from mikrodock.errors import UsageError
    from mikrodock.lab.clabernetes import write_clabernetes
    from mikrodock.lab.export import write_compose, write_containerlab
    from mikrodock.lab.labfile import load_lab

    if containerlab + compose + clabernetes != 1:
        raise UsageError(
            "say what to export", hint="give one of --containerlab, --compose or --clabernetes"
        )
    if vrnetlab and compose:
        raise UsageError("--vrnetlab is for containerlab", hint="drop it with --compose")
    if (image_prefix or namespace) and not clabernetes:
        raise UsageError("--image-prefix and --namespace are for --clabernetes", hint="drop them")
    lab = load_lab(file)
    resolve = _memo_resolve()
    if containerlab:
        target = out or file.with_name(f"{lab.name}.clab.yml")
        export = write_containerlab(lab, resolve, target, vrnetlab=vrnetlab)
    elif clabernetes:
        target = out or file.with_name(f"{lab.name}.clabernetes.yaml")
        export = write_clabernetes(
            lab, resolve, target, vrnetlab=vrnetlab, image_prefix=image_prefix,
            namespace=namespace,
        )  # fmt: skip
    else:
        target = out or file.with_name("docker-compose.yml")
        export = write_compose(lab, resolve, target)
    if json_:
        print_json({"file": str(target), "notes": list(export.notes)})
        return
    typer.echo(f"wrote {target}")
    for note in export.notes:
        _err(f"note: {note}")


def _memo_resolve() -> Callable[[str], str]:
    from mikrodock.chr.docker.dockerfile import resolve_version

    known: dict[str, str] = {}

    def resolve(reference: str) -> str:
        if reference not in known:
            known[reference] = resolve_version(reference)
        return known[reference]

    return resolve


def register(root: typer.Typer) -> None:
    """Add the ``lab`` group to the root command."""
    root.add_typer(lab_app, name="lab")
