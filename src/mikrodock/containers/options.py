"""``run``/``create`` options as typed (strings), and the one step that turns them into a spec.

The CLI fills :class:`RunOptions` from its flags and calls :func:`build_spec`; all validation
happens here, so the Python API and the CLI refuse the same things the same way.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from mikrodock.containers import flags
from mikrodock.containers.spec import DEFAULT_NETWORK, ContainerSpec, EnvVar, HealthCheck
from mikrodock.errors import UsageError
from mikrodock.images.reference import parse_reference

__all__ = ["RunOptions", "build_spec", "default_name"]


@dataclass
class RunOptions:
    """Every ``run``/``create`` flag, unparsed."""

    image: str
    command: tuple[str, ...] = ()
    name: str | None = None
    publish: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    env_file: tuple[str, ...] = ()
    volume: tuple[str, ...] = ()
    entrypoint: str | None = None
    workdir: str | None = None
    user: str | None = None
    hostname: str | None = None
    dns: tuple[str, ...] = ()
    add_host: tuple[str, ...] = ()
    restart: str = "no"
    memory: str | None = None
    memory_swap: str | None = None
    cpuset_cpus: str | None = None
    health_cmd: str | None = None
    health_interval: str | None = None
    health_timeout: str | None = None
    health_retries: int | None = None
    health_start_period: str | None = None
    stop_signal: str | None = None
    stop_timeout: int | None = None
    shm_size: str | None = None
    tmpfs: tuple[str, ...] = ()
    device: tuple[str, ...] = ()
    privileged: bool = False
    network: str = DEFAULT_NETWORK
    ip: str | None = None
    root_dir: str | None = None
    logging: bool = True
    pull: str = "missing"
    rm: bool = False
    detach: bool = False
    image_file: str | None = None
    start: bool = True
    force_service_port: bool = False
    registry_auth: bool = False
    """Consent to read the registry's credentials from ~/.docker/config.json."""


def default_name(image: str) -> str:
    """A name from the image (``ghcr.io/o/app:1`` -> ``app-3f2a``) when ``--name`` is missing."""
    base = image.rsplit("/", 1)[-1].split("@")[0].split(":")[0]
    base = re.sub(r"[^A-Za-z0-9_.-]", "-", base).strip("-._") or "container"
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
