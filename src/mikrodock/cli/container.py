"""CLI: the Docker commands for containers on a RouterOS router (run, ps, logs, exec, rm, ...).

Each command parses its flags into library objects and makes one call into
:mod:`mikrodock.containers`; nothing here knows RouterOS.
"""

from __future__ import annotations

import difflib
import inspect
import os
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from mikrodock.cli import _click as click
from mikrodock.cli._common import Command, print_json, router_command, with_containers
from mikrodock.cli.flags_of import build, parameters
from mikrodock.containers.options import RunOptions, build_spec, flag
from mikrodock.containers.unsupported import NO_COUNTERPART, refuse_flag
from mikrodock.errors import UsageError

__all__ = ["register"]

_RUN_SETTINGS = {"allow_interspersed_args": False, "ignore_unknown_options": True}


def _refuse_unknown(image: str) -> None:
    """An option before the image that ``run`` does not know: a Docker flag RouterOS cannot
    honour gets its own message, a typo the nearest real flag."""
    if not image.startswith("-"):
        return
    flag = image.split("=", 1)[0]
    if flag in NO_COUNTERPART:
        raise refuse_flag(flag)
    if not flag.startswith("--"):
        for letter in flag[1:]:  # combined short flags such as -it
            if f"-{letter}" in NO_COUNTERPART:
                raise refuse_flag(f"-{letter}")
    known = [
        opt
        for param in click.get_current_context().command.params
        if not getattr(param, "hidden", False)
        for opt in param.opts
        if opt.startswith("--")
    ]
    near = difflib.get_close_matches(flag, known, n=1, cutoff=0.75)
    raise UsageError(
        f"no such option: {flag}",
        hint=f"did you mean {near[0]}?" if near else "see mikrodock run --help",
    )


@dataclass
class PlanFlags:
    """The flags of ``run``/``create`` that are not the container's: how to plan and show it."""

    local: bool = flag(
        "--local",
        default=False,
        help="Pull and convert the image here (or take a local archive) and upload it to the"
        " router, instead of the router pulling it",
    )
    dry_run: bool = flag("--dry-run", default=False, help="Print the plan, change nothing")
    fmt: str = flag("--format", default="script", help="Dry-run output: script or json")
    router_version: str | None = flag(
        "--router-version", default=None, help="Plan for this RouterOS version without a router"
    )
    arch: str | None = flag("--arch", default=None, help="Router architecture")
    pull_timeout: float = flag(
        "--pull-timeout",
        default=600.0,
        help="Seconds to wait for the router to download and extract the image",
    )
    as_json: bool = flag("--json", default=False, help="Print JSON instead of text.")


def _check(opts: RunOptions, how: PlanFlags) -> None:
    from mikrodock.containers.flags import check_seconds

    check_seconds(how.pull_timeout, "--pull-timeout")  # before a router is looked for
    if how.local and opts.image_file:
        raise UsageError("--local and --image-file both given", hint="choose one")
    if how.local and how.dry_run:
        raise UsageError(
            "--local cannot be planned dry",
            hint="drop --dry-run, or use `mikrodock image save` and then `run --image-file`",
        )
    if how.fmt not in ("script", "json"):
        raise UsageError(f"unknown --format {how.fmt!r}", hint="use script or json")
    if how.router_version or how.arch:
        if not (how.router_version and how.arch):
            raise UsageError(
                "--router-version and --arch go together",
                hint="give both to plan without a router, e.g. 7.22 x86_64",
            )
        if not how.dry_run:
            raise UsageError("--router-version/--arch plan without a router", hint="add --dry-run")


def _run_or_create(opts: RunOptions, how: PlanFlags) -> None:
    _check(opts, how)
    spec = build_spec(opts, os.environ)
    from mikrodock.containers import deploy

    if how.router_version and how.arch:
        typer.echo(deploy.render_offline(spec, how.router_version, how.arch, how.fmt), nl=False)
        return
    if how.dry_run:
        typer.echo(with_containers(lambda r: deploy.render_online(r, spec, how.fmt)), nl=False)
        return

    async def go(router: Any) -> dict[str, Any]:
        from mikrodock.cli.progress import step_status

        with step_status(f"deploying {spec.name}", quiet=how.as_json) as on_step:
            result = await deploy.deploy(
                router, spec, timeout=how.pull_timeout, local=how.local, progress=on_step
            )
        data: dict[str, Any] = result.to_json()
        if not opts.detach and spec.start:
            from mikrodock.cli.attach import Attached

            attached = Attached(router, spec, typer.echo, lambda text: typer.echo(text, err=True))
            await attached.run(data)
            if attached.abandoned:
                raise KeyboardInterrupt
        return data

    result = with_containers(go)
    if how.as_json:
        print_json(result)
    elif opts.detach or not spec.start:  # in the foreground the output was the answer
        typer.echo(result["name"])


def _run_command(start: bool) -> Any:
    """The ``run`` (``start``) or ``create`` command function; its options are the flag
    fields of :class:`RunOptions` and :class:`PlanFlags`."""

    def command(image: str, command: list[str] | None = None, **values: Any) -> None:
        _refuse_unknown(image)
        how = build(PlanFlags, values)
        opts = build(RunOptions, values, image=image, command=tuple(command or ()), start=start)
        _run_or_create(opts, how)

    arguments = [
        inspect.Parameter(
            "image",
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            annotation=Annotated[str, typer.Argument(help="Image to run, e.g. nginx:1.27")],
        ),
        inspect.Parameter(
            "command",
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            default=None,
            annotation=Annotated[list[str] | None, typer.Argument(help="Command and arguments")],
        ),
    ]
    command.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [*arguments, *parameters(RunOptions), *parameters(PlanFlags)]
    )
    command.__doc__ = (
        "Create and start a container on the router (like docker run)."
        if start
        else "Create a container on the router without starting it (like docker create)."
    )
    return router_command(command)


def register(root: typer.Typer) -> None:
    """Add run and create to the root command (ps, logs, ...: cli/container_ops.py)."""
    root.command("run", cls=Command, context_settings=_RUN_SETTINGS)(_run_command(True))
    root.command("create", cls=Command, context_settings=_RUN_SETTINGS)(_run_command(False))
