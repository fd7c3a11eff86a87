"""CLI: the Docker commands for containers on a RouterOS router (run, ps, logs, exec, rm, ...).

Each command parses its flags into library objects and makes one call into
:mod:`mikrodock.containers`; nothing here knows RouterOS.
"""

from __future__ import annotations

import difflib
import os
from typing import Annotated, Any

import typer

from mikrodock.cli import _click as click
from mikrodock.cli._common import Command, JsonOpt, print_json, router_command, with_containers
from mikrodock.containers.options import RunOptions, build_spec
from mikrodock.containers.unsupported import NO_COUNTERPART, refuse_flag
from mikrodock.errors import UsageError

__all__ = ["register"]

Multi = Annotated[list[str] | None, typer.Option(show_default=False)]

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


def _run_or_create(start: bool, image: str, command: list[str] | None, **flags: Any) -> None:
    _refuse_unknown(image)
    dry_run, fmt = flags.pop("dry_run"), flags.pop("fmt")
    router_version, arch = flags.pop("router_version"), flags.pop("arch")
    timeout = flags.pop("timeout")
    as_json = flags.pop("as_json")
    local = flags.pop("local")
    if local and flags.get("image_file"):
        raise UsageError("--local and --image-file both given", hint="choose one")
    if local and dry_run:
        raise UsageError(
            "--local cannot be planned dry",
            hint="drop --dry-run, or use `mikrodock image save` and then `run --image-file`",
        )
    for key in ("publish", "env", "env_file", "volume", "dns", "add_host", "tmpfs", "device"):
        flags[key] = tuple(flags[key] or ())
    opts = RunOptions(image=image, command=tuple(command or ()), start=start, **flags)
    spec = build_spec(opts, os.environ)
    from mikrodock.containers import deploy

    if fmt not in ("script", "json"):
        raise UsageError(f"unknown --format {fmt!r}", hint="use script or json")
    if router_version or arch:
        if not (router_version and arch):
            raise UsageError(
                "--router-version and --arch go together",
                hint="give both to plan without a router, e.g. 7.22 x86_64",
            )
        if not dry_run:
            raise UsageError("--router-version/--arch plan without a router", hint="add --dry-run")
        typer.echo(deploy.render_offline(spec, router_version, arch, fmt), nl=False)
        return
    if dry_run:
        typer.echo(with_containers(lambda r: deploy.render_online(r, spec, fmt)), nl=False)
        return

    async def go(router: Any) -> dict[str, Any]:
        result = await deploy.deploy(router, spec, timeout=timeout, local=local)
        data: dict[str, Any] = result.to_json()
        if not opts.detach and spec.start:
            from mikrodock.cli.attach import Attached

            attached = Attached(router, spec, typer.echo, lambda text: typer.echo(text, err=True))
            await attached.run(data)
            if attached.abandoned:
                raise KeyboardInterrupt
        return data

    result = with_containers(go)
    if as_json:
        print_json(result)
    elif opts.detach or not spec.start:  # in the foreground the output was the answer
        typer.echo(result["name"])


def _run_command(start: bool) -> Any:
    def command(
        image: Annotated[str, typer.Argument(help="Image to run, e.g. nginx:1.27")],
        command: Annotated[list[str] | None, typer.Argument(help="Command and arguments")] = None,
        detach: Annotated[
            bool, typer.Option("-d", "--detach", help="Run in the background")
        ] = False,
        name: Annotated[str | None, typer.Option("--name", help="Container name")] = None,
        publish: Annotated[
            list[str] | None,
            typer.Option(
                "-p",
                "--publish",
                help="[IP:]HOST:CTR[/tcp|/udp], ranges allowed (repeatable)",
                metavar="<port>",
            ),
        ] = None,
        env: Annotated[
            list[str] | None,
            typer.Option("-e", "--env", help="K=V or K (repeatable)", metavar="<env>"),
        ] = None,
        env_file: Annotated[
            list[str] | None,
            typer.Option(
                "--env-file", help="File of KEY=value lines (repeatable)", metavar="<file>"
            ),
        ] = None,
        volume: Annotated[
            list[str] | None,
            typer.Option(
                "-v",
                "--volume",
                help="ROUTER_PATH:CONTAINER_PATH[:ro] (repeatable)",
                metavar="<volume>",
            ),
        ] = None,
        entrypoint: Annotated[
            str | None,
            typer.Option("--entrypoint", help="Program to run instead of the image's entrypoint"),
        ] = None,
        workdir: Annotated[
            str | None, typer.Option("-w", "--workdir", help="Working directory in the container")
        ] = None,
        user: Annotated[
            str | None, typer.Option("-u", "--user", help="User in the container")
        ] = None,
        hostname: Annotated[
            str | None, typer.Option("--hostname", help="Container host name")
        ] = None,
        dns: Annotated[
            list[str] | None,
            typer.Option("--dns", help="DNS server address (repeatable)", metavar="<ip>"),
        ] = None,
        add_host: Annotated[
            list[str] | None,
            typer.Option("--add-host", help="NAME:IP (repeatable)", metavar="<host:ip>"),
        ] = None,
        restart: Annotated[
            str, typer.Option("--restart", help="no|always|on-failure[:N]|unless-stopped")
        ] = "no",
        memory: Annotated[
            str | None, typer.Option("-m", "--memory", help="Memory limit, e.g. 256M")
        ] = None,
        memory_swap: Annotated[
            str | None, typer.Option("--memory-swap", help="Memory plus swap limit, e.g. 512M")
        ] = None,
        cpuset_cpus: Annotated[
            str | None, typer.Option("--cpuset-cpus", help="CPUs to use, e.g. 0-1 or 0,2")
        ] = None,
        health_cmd: Annotated[
            str | None, typer.Option("--health-cmd", help="Command that checks health")
        ] = None,
        health_interval: Annotated[
            str | None, typer.Option("--health-interval", help="Time between checks, e.g. 30s")
        ] = None,
        health_timeout: Annotated[
            str | None, typer.Option("--health-timeout", help="Time one check may take, e.g. 5s")
        ] = None,
        health_retries: Annotated[
            int | None, typer.Option("--health-retries", help="Failures before unhealthy")
        ] = None,
        health_start_period: Annotated[
            str | None,
            typer.Option("--health-start-period", help="Grace time after start, e.g. 10s"),
        ] = None,
        stop_signal: Annotated[
            str | None, typer.Option("--stop-signal", help="Signal that stops it, e.g. SIGTERM")
        ] = None,
        stop_timeout: Annotated[
            int | None,
            typer.Option(
                "--stop-timeout", help="Seconds to wait after the stop signal before killing"
            ),
        ] = None,
        shm_size: Annotated[
            str | None, typer.Option("--shm-size", help="Size of /dev/shm, e.g. 64M")
        ] = None,
        tmpfs: Annotated[
            list[str] | None,
            typer.Option(
                "--tmpfs",
                help="Mount a tmpfs at this container path (repeatable)",
                metavar="<path>",
            ),
        ] = None,
        device: Annotated[
            list[str] | None,
            typer.Option(
                "--device",
                help="Router device to pass in, e.g. /dev/net/tun (repeatable)",
                metavar="<path>",
            ),
        ] = None,
        privileged: Annotated[
            bool,
            typer.Option(
                "--privileged", help="Give the container full access to the router's devices"
            ),
        ] = False,
        network: Annotated[
            str,
            typer.Option(
                "--network", "--net", help="mikrodock network to join (see mikrodock network ls)"
            ),
        ] = "mikrodock",
        ip: Annotated[
            str | None,
            typer.Option(
                "--ip", help="Address in the network's subnet (default: the next free one)"
            ),
        ] = None,
        root_dir: Annotated[
            str | None,
            typer.Option(
                "--root-dir",
                help="Router folder for the container's files (default: on the largest disk)",
            ),
        ] = None,
        logging: Annotated[
            bool,
            typer.Option(
                "--logging/--no-logging", help="Keep the container's output in the router's log"
            ),
        ] = True,
        pull: Annotated[str, typer.Option("--pull", help="always|missing|never")] = "missing",
        rm: Annotated[
            bool, typer.Option("--rm", help="Remove the container when it exits")
        ] = False,
        image_file: Annotated[
            str | None,
            typer.Option(
                "--image-file", help="Router file of a converted image to load instead of pulling"
            ),
        ] = None,
        local: Annotated[
            bool,
            typer.Option(
                "--local",
                help="Pull and convert the image here (or take a local archive) and upload it to"
                " the router, instead of the router pulling it",
            ),
        ] = False,
        force_service_port: Annotated[
            bool,
            typer.Option(
                "--force-service-port",
                help="Publish a -p on every address even where the router serves WebFig, SSH,"
                " WinBox or its API on that port itself (they become unreachable)",
            ),
        ] = False,
        registry_auth: Annotated[
            bool,
            typer.Option(
                "--registry-auth",
                help="Send this image's registry login from ~/.docker/config.json to the router",
            ),
        ] = False,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Print the plan, change nothing")
        ] = False,
        fmt: Annotated[
            str, typer.Option("--format", help="Dry-run output: script or json")
        ] = "script",
        router_version: Annotated[
            str | None,
            typer.Option(
                "--router-version", help="Plan for this RouterOS version without a router"
            ),
        ] = None,
        arch: Annotated[str | None, typer.Option("--arch", help="Router architecture")] = None,
        timeout: Annotated[
            float,
            typer.Option(
                "--pull-timeout",
                help="Seconds to wait for the router to download and extract the image",
            ),
        ] = 600.0,
        as_json: JsonOpt = False,
    ) -> None:
        values = dict(locals())
        values.pop("start", None)
        _run_or_create(start, values.pop("image"), values.pop("command"), **values)

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
