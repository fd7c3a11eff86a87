"""``run``/``create`` options as typed (strings), and the one step that turns them into a spec.

The CLI fills :class:`RunOptions` from its flags and calls :func:`build_spec`; all validation
happens here, so the Python API and the CLI refuse the same things the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from mikrodock.containers import flags
from mikrodock.containers.spec import DEFAULT_NETWORK, ContainerSpec, EnvVar, HealthCheck
from mikrodock.errors import UsageError
from mikrodock.images.reference import parse_reference

__all__ = ["RunOptions", "build_spec", "default_name", "flag"]


def flag(*decls: str, default: Any, help: str, metavar: str | None = None) -> Any:
    """A field that is also a command-line flag: its spellings (``"--logging/--no-logging"``
    for an on/off pair), help line and metavar. The CLI builds ``run``/``create``'s options
    from these fields, so each flag is declared here only."""
    return field(default=default, metadata={"flags": decls, "help": help, "metavar": metavar})


@dataclass
class RunOptions:
    """Every ``run``/``create`` flag, unparsed (the fields with a :func:`flag` are the flags)."""

    image: str
    command: tuple[str, ...] = ()
    detach: bool = flag("-d", "--detach", default=False, help="Run in the background")
    name: str | None = flag("--name", default=None, help="Container name")
    publish: tuple[str, ...] = flag(
        "-p",
        "--publish",
        default=(),
        help="[IP:]HOST:CTR[/tcp|/udp], ranges allowed (repeatable)",
        metavar="<port>",
    )
    env: tuple[str, ...] = flag(
        "-e", "--env", default=(), help="K=V or K (repeatable)", metavar="<env>"
    )
    env_file: tuple[str, ...] = flag(
        "--env-file", default=(), help="File of KEY=value lines (repeatable)", metavar="<file>"
    )
    volume: tuple[str, ...] = flag(
        "-v",
        "--volume",
        default=(),
        help="ROUTER_PATH:CONTAINER_PATH[:ro] (repeatable)",
        metavar="<volume>",
    )
    entrypoint: str | None = flag(
        "--entrypoint", default=None, help="Program to run instead of the image's entrypoint"
    )
    workdir: str | None = flag(
        "-w", "--workdir", default=None, help="Working directory in the container"
    )
    user: str | None = flag("-u", "--user", default=None, help="User in the container")
    hostname: str | None = flag("--hostname", default=None, help="Container host name")
    dns: tuple[str, ...] = flag(
        "--dns", default=(), help="DNS server address (repeatable)", metavar="<ip>"
    )
    add_host: tuple[str, ...] = flag(
        "--add-host", default=(), help="NAME:IP (repeatable)", metavar="<host:ip>"
    )
    restart: str = flag("--restart", default="no", help="no|always|on-failure[:N]|unless-stopped")
    memory: str | None = flag("-m", "--memory", default=None, help="Memory limit, e.g. 256M")
    memory_swap: str | None = flag(
        "--memory-swap", default=None, help="Memory plus swap limit, e.g. 512M"
    )
    cpuset_cpus: str | None = flag(
        "--cpuset-cpus", default=None, help="CPUs to use, e.g. 0-1 or 0,2"
    )
    health_cmd: str | None = flag("--health-cmd", default=None, help="Command that checks health")
    health_interval: str | None = flag(
        "--health-interval", default=None, help="Time between checks, e.g. 30s"
    )
    health_timeout: str | None = flag(
        "--health-timeout", default=None, help="Time one check may take, e.g. 5s"
    )
    health_retries: int | None = flag(
        "--health-retries", default=None, help="Failures before unhealthy"
    )
    health_start_period: str | None = flag(
        "--health-start-period", default=None, help="Grace time after start, e.g. 10s"
    )
    stop_signal: str | None = flag(
        "--stop-signal", default=None, help="Signal that stops it, e.g. SIGTERM"
    )
    stop_timeout: int | None = flag(
        "--stop-timeout", default=None, help="Seconds to wait after the stop signal before killing"
    )
    shm_size: str | None = flag("--shm-size", default=None, help="Size of /dev/shm, e.g. 64M")
    tmpfs: tuple[str, ...] = flag(
        "--tmpfs",
        default=(),
        help="Mount a tmpfs at this container path (repeatable)",
        metavar="<path>",
    )
    device: tuple[str, ...] = flag(
        "--device",
        default=(),
        help="Router device to pass in, e.g. /dev/net/tun (repeatable)",
        metavar="<path>",
    )
    privileged: bool = flag(
        "--privileged", default=False, help="Give the container full access to the router's devices"
    )
    network: str = flag(
        "--network",
        "--net",
        default=DEFAULT_NETWORK,
        help="mikrodock network to join (see mikrodock network ls)",
    )
    ip: str | None = flag(
        "--ip", default=None, help="Address in the network's subnet (default: the next free one)"
    )
    root_dir: str | None = flag(
        "--root-dir",
        default=None,
        help="Router folder for the container's files (default: on the largest disk)",
    )
    logging: bool = flag(
        "--logging/--no-logging",
        default=True,
        help="Keep the container's output in the router's log",
    )
    pull: str = flag("--pull", default="missing", help="always|missing|never")
    rm: bool = flag("--rm", default=False, help="Remove the container when it exits")
    image_file: str | None = flag(
        "--image-file",
        default=None,
        help="Router file of a converted image to load instead of pulling",
    )
    force_service_port: bool = flag(
        "--force-service-port",
        default=False,
        help="Publish a -p on every address even where the router serves WebFig, SSH, WinBox"
        " or its API on that port itself (they become unreachable)",
    )
    registry_auth: bool = flag(
        "--registry-auth",
        default=False,
        help="Send this image's registry login from ~/.docker/config.json to the router",
    )
    start: bool = True
    """``run`` (True) or ``create`` (False); not a flag."""

    def __post_init__(self) -> None:
        self.command = tuple(self.command)
        for item in fields(self):
            if item.metadata.get("flags") and isinstance(item.default, tuple):
                setattr(self, item.name, tuple(getattr(self, item.name) or ()))


def default_name(image: str) -> str:
    """A name from the image (``ghcr.io/o/app:1`` -> ``app-3f2a``) when ``--name`` is missing."""
    base = image.rsplit("/", 1)[-1].split("@")[0].split(":")[0]
    base = re.sub(r"[^A-Za-z0-9_.-]", "-", base).strip("-._") or "container"
    import secrets  # here: its hashing modules are a fifth of run --help's own imports

    return f"{base[:50]}-{secrets.token_hex(2)}"


def _duration(text: str | None, flag: str) -> float | None:
    return None if text is None else flags.parse_duration_flag(text, flag)


def _image(opts: RunOptions) -> str:
    """The image name, checked as docker would (a file given with --image-file is not)."""
    path_like = opts.image.startswith(("/", "./", "../", "~")) or opts.image.lower().endswith(
        (".tar", ".tar.gz", ".tgz", ".tar.zst", ".oci")
    )
    if opts.image_file is None and not path_like:  # --local takes an archive path too
        parse_reference(opts.image)
    return opts.image


def _stop_timeout(value: int | None) -> float | None:
    seconds = flags.check_count(value, "--stop-timeout")
    return None if seconds is None else float(seconds)


def build_spec(opts: RunOptions, environ: Mapping[str, str]) -> ContainerSpec:
    """Validate every option and build the spec; :class:`UsageError` names the first bad one."""
    name = flags.check_name(opts.name) if opts.name else default_name(opts.image)
    env: dict[str, EnvVar] = {}
    for path in opts.env_file:
        for item in flags.parse_env_file(path, environ):
            env[item.key] = item
    for text in opts.env:
        parsed = flags.parse_env(text, environ)
        if parsed is not None:
            env[parsed.key] = parsed
    if opts.network != DEFAULT_NETWORK:
        flags.check_name(opts.network, "network name")
    if opts.network in ("host", "none", "bridge"):
        raise UsageError(
            f"--network {opts.network} has no RouterOS counterpart",
            hint="RouterOS containers always sit behind a VETH; use the default network or one "
            "made with `mikrodock network create`",
        )
    entrypoint = (opts.entrypoint,) if opts.entrypoint else ()
    health = HealthCheck(
        cmd=tuple(opts.health_cmd.split()) if opts.health_cmd else (),
        interval=_duration(opts.health_interval, "--health-interval"),
        timeout=_duration(opts.health_timeout, "--health-timeout"),
        retries=flags.check_count(opts.health_retries, "--health-retries"),
        start_period=_duration(opts.health_start_period, "--health-start-period"),
    )
    if opts.rm and opts.detach:
        raise UsageError(
            "--rm with -d: RouterOS cannot remove a container by itself when it exits",
            hint="drop -d (mikrodock then waits, and removes the container when it exits)",
        )
    user_and_password: tuple[str | None, str | None] = (None, None)
    if opts.registry_auth:
        from mikrodock.containers.credentials import registry_credentials

        user_and_password = registry_credentials(opts.image)
    return ContainerSpec(
        name=name,
        image=_image(opts),
        image_file=opts.image_file,
        entrypoint=flags.check_argv(entrypoint, "--entrypoint"),
        cmd=flags.check_argv(opts.command, "command"),
        env=tuple(env.values()),
        mounts=tuple(flags.parse_volume(v) for v in opts.volume),
        ports=tuple(flags.parse_port(p) for p in opts.publish),
        workdir=flags.parse_workdir(opts.workdir) if opts.workdir is not None else None,
        user=opts.user,
        hostname=flags.parse_hostname(opts.hostname) if opts.hostname is not None else None,
        dns=tuple(flags.parse_dns(d) for d in opts.dns),
        hosts=tuple(flags.parse_add_host(h) for h in opts.add_host),
        restart=flags.parse_restart(opts.restart),
        memory=flags.parse_memory(opts.memory) if opts.memory is not None else None,
        memory_swap=flags.parse_memory_swap(opts.memory_swap) if opts.memory_swap else None,
        cpuset=flags.parse_cpuset(opts.cpuset_cpus) if opts.cpuset_cpus is not None else None,
        health=health,
        stop_signal=opts.stop_signal,
        stop_timeout=_stop_timeout(opts.stop_timeout),
        shm_size=flags.parse_memory(opts.shm_size, "--shm-size") if opts.shm_size else None,
        tmpfs=opts.tmpfs,
        devices=opts.device,
        privileged=opts.privileged,
        network=opts.network,
        ip=flags.parse_ip(opts.ip, "--ip") if opts.ip else None,
        root_dir=flags.parse_root_dir(opts.root_dir) if opts.root_dir is not None else None,
        logging=opts.logging,
        pull=flags.parse_pull(opts.pull),
        auto_remove=opts.rm,
        start=opts.start,
        registry_username=user_and_password[0],
        registry_password=user_and_password[1],
        force_service_port=opts.force_service_port,
    )
