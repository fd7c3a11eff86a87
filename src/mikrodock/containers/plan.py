"""The planner (pure): a :class:`ContainerSpec` plus a :class:`RouterState` -> a :class:`Plan`.

Nothing here does I/O. Every argument that only some versions have is checked through the
:class:`Dialect` first, so a spec the router cannot honour fails before anything changes.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Callable, Mapping

from mikrodock.containers.flags import check_argv, join_argv
from mikrodock.containers.network import container_network_steps, network_steps
from mikrodock.containers.services import check_service_ports, router_services
from mikrodock.containers.spec import DEFAULT_NETWORK, TAG_PREFIX, ContainerSpec
from mikrodock.containers.state import Reads, RouterState
from mikrodock.containers.steps import Claim, Plan, Ref, Step, Undo, Value
from mikrodock.containers.unsupported import require_arg, require_command
from mikrodock.errors import PlanError, UnsupportedError, UsageError
from mikrodock.images.reference import DOCKER_HUB, parse_reference
from mikrodock.routeros.dialect import Dialect
from mikrodock.routeros.facts import ARCH_PLATFORMS
from mikrodock.routeros.values import format_duration

__all__ = [
    "LOGGING_PREFIX",
    "LOGGING_TAG",
    "find_container",
    "is_logging_rule_ours",
    "plan_run",
    "reads_for",
    "storage_disk",
]

LOGGING_TAG = f"{TAG_PREFIX}shared:logging"
"""Comment on the ``/system/logging`` rule mikrodock adds for topic ``container``."""
LOGGING_PREFIX = "mikrodock"
"""Its ``prefix`` on versions whose logging rules have no comment (before 7.22)."""

_HUB_URLS = {
    "",
    "https://registry-1.docker.io",
    "https://docker.io",
    "https://index.docker.io",
    "https://registry.docker.io",
}
_INLINE_UNSAFE = set(",\"'\\")


def find_container(state: RouterState, name: str) -> Mapping[str, str] | None:
    """The container called ``name`` (by name, or by mikrodock's tag on versions without names)."""
    tag = f"{TAG_PREFIX}{name}"
    for record in state.containers:
        if record.get("name") == name or record.get("comment") == tag:
            return record
    return None


def storage_disk(state: RouterState) -> str | None:
    """The router's largest non-flash disk (by free space), or None when it has only flash."""
    disks = [d for d in state.disks if d.name and "flash" not in (d.name + d.kind).lower()]
    disks.sort(key=lambda d: (d.free or 0, d.size or 0), reverse=True)
    return disks[0].name if disks else None


class _Body:
    """A container body that checks every argument against the version before taking it."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.values: dict[str, Value] = {}

    def put(self, arg: str, value: Value, flag: str) -> None:
        require_arg(self.dialect, "container", "add", arg, flag)
        self.values[arg] = value


def signal_number(name: str, flag: str = "--stop-signal") -> str:
    if name.isdigit():
        return name
    upper = name.upper()
    try:
        return str(int(signal.Signals[upper if upper.startswith("SIG") else f"SIG{upper}"]))
    except (KeyError, ValueError):
        raise UsageError(f"unknown {flag} {name!r}", hint="use e.g. SIGTERM or 15") from None


def _cpu_list(text: str) -> str:
    cpus: list[str] = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            raise UsageError(f"invalid --cpuset-cpus {text!r}", hint="write e.g. 0-1 or 0,2")
        cpus += [str(n) for n in range(int(low), int(high or low) + 1)]
    return ",".join(cpus)


def _image_steps(spec: ContainerSpec, state: RouterState, body: _Body) -> list[Step]:
    """``remote-image`` (with ``/container/config`` registry handling) or ``file=``."""
    if spec.image_file:
        body.put("file", spec.image_file, "--image-file")
        return []
    if spec.pull == "never":
        raise UsageError(
            "--pull never: RouterOS keeps no image store to run from",
            hint="load a converted image with --image-file FILE, or pull (the default)",
        )
    ref = parse_reference(spec.image)
    changes: dict[str, str] = {}
    current = state.config.get("registry-url", "")
    if ref.registry == DOCKER_HUB:
        body.put("remote-image", ref.remote_image, "IMAGE")
        if current.rstrip("/") not in _HUB_URLS:
            changes["registry-url"] = "https://registry-1.docker.io"
    else:
        # Many RouterOS versions pull from another registry only when registry-url names it and
        # the image has no registry prefix (the ghcr.io quirk).
        body.put("remote-image", ref.unprefixed, "IMAGE")
        if current.rstrip("/") != ref.registry_url:
            changes["registry-url"] = ref.registry_url
    if spec.registry_username is not None:
        changes["username"] = spec.registry_username
        changes["password"] = spec.registry_password or ""
    disk = storage_disk(state)
    if disk and not state.config.get("tmpdir"):
        changes["tmpdir"] = f"{disk}/mikrodock/tmp"
    if not changes:
        return []
    # RouterOS never shows the registry password: an undo cannot put an unknown one back, so it
    # restores what it can read (a rolled-back run may leave the new password in place). The
    # download folder stays: another deploy may be downloading through it by then.
    old = {key: state.config.get(key, "") for key in changes if key not in ("password", "tmpdir")}
    return [
        Step(
            "set",
            "container/config",
            dict(changes),
            "registry and download folder for the image",
            undo=Undo("restore", old),
        )
    ]


def _inline_env(spec: ContainerSpec, dialect: Dialect) -> bool:
    """Whether ``-e`` goes on the container itself (``env=``), not in ``/container/envs``."""
    return dialect.inline_env and not any(
        _INLINE_UNSAFE & set(env.key + env.value) for env in spec.env
    )


def _inline_mount(spec: ContainerSpec, dialect: Dialect) -> bool:
    """Whether ``-v`` goes on the container itself (``mount=``), not in ``/container/mounts``."""
    return dialect.inline_mount and len(spec.mounts) == 1 and not spec.mounts[0].read_only


def reads_for(spec: ContainerSpec) -> Reads:
    """The menus :func:`plan_run` needs read for ``spec``: ``/container/envs`` and
    ``/container/mounts`` only when ``-e`` and ``-v`` do not go inline, ``/ip/service`` only for
    a TCP ``-p`` on every address, bridge ports never."""
    skip = {"bridge_ports"}
    if spec.force_service_port or not any(
        p.protocol == "tcp" and p.host_ip is None for p in spec.ports
    ):
        skip.add("services")
    when: dict[str, Callable[[Dialect], bool]] = {}
    if spec.env:
        when["envs"] = lambda dialect: not _inline_env(spec, dialect)
    else:
        skip.add("envs")
    if spec.mounts:
        when["mounts"] = lambda dialect: not _inline_mount(spec, dialect)
    else:
        skip.add("mounts")
    return Reads(frozenset(skip), when)


def _env_steps(spec: ContainerSpec, state: RouterState, body: _Body) -> list[Step]:
    if not spec.env:
        return []
    dialect = body.dialect
    if _inline_env(spec, dialect):
        body.put("env", ",".join(f"{env.key}={env.value}" for env in spec.env), "-e")
        return []
    key = dialect.envs_group_key
    taken = {record.get(key, "") for record in state.envs}
    name = _free(f"{spec.name}-env", taken)
    body.put(dialect.env_list_arg, name, "-e")
    return [
        Step(
            "add",
            "container/envs",
            {key: name, "key": env.key, "value": env.value, "comment": spec.tag},
            f"environment variable {env.key}",
            key=f"env-{index}",
            undo=Undo("remove"),
            find=((key, name), ("key", env.key)),
        )
        for index, env in enumerate(spec.env)
    ]


_DISK_NAME = re.compile(r"(disk|usb|nvme|sata|sd|mmc)[0-9]+(-part[0-9]+)?")


def _check_mount_disks(spec: ContainerSpec, state: RouterState) -> None:
    """A ``-v``/``--root-dir`` on a disk (``usb1/x``) must name a disk the router has."""
    names = {disk.name for disk in state.disks if disk.name}
    if not names:
        return  # the router lists no disks (or was not asked): nothing to compare with
    paths = [("-v", m.src) for m in spec.mounts]
    if spec.root_dir:
        paths.append(("--root-dir", spec.root_dir))
    for flag, path in paths:
        first = path.strip("/").split("/", 1)[0]
        if _DISK_NAME.fullmatch(first) and first not in names:
            raise UsageError(
                f"{flag} {path}: the router has no disk {first}",
                hint=f"its disks: {', '.join(sorted(names))}",
            )


def _mount_steps(spec: ContainerSpec, state: RouterState, body: _Body) -> list[Step]:
    _check_mount_disks(spec, state)
    if not spec.mounts:
        return []
    dialect = body.dialect
    ro_arg = dialect.mount_read_only_arg
    if any(m.read_only for m in spec.mounts) and ro_arg is None:
        require_arg(dialect, "container/mounts", "add", "read-only", "-v ...:ro")
    if _inline_mount(spec, dialect):
        mount = spec.mounts[0]
        body.put("mount", f"src={mount.src},dst={mount.dst}", "-v")
        return []
    key = dialect.mounts_group_key
    taken = {record.get(key, "") for record in state.mounts}
    steps: list[Step] = []
    names: list[str] = []
    for index, mount in enumerate(spec.mounts):
        if key == "list":  # one list holds every mount of the container
            name = names[0] if names else _free(f"{spec.name}-vol", taken)
        else:  # each mount is its own named object
            name = _free(f"{spec.name}-vol{index}", taken)
        if name not in names:
            names.append(name)
        entry: dict[str, Value] = {
            key: name,
            "src": mount.src,
            "dst": mount.dst,
            "comment": spec.tag,
        }
        if mount.read_only and ro_arg is not None:
            entry[ro_arg] = "ro" if ro_arg == "mode" else "yes"
        steps.append(
            Step(
                "add",
                "container/mounts",
                entry,
                f"mount {mount.src} at {mount.dst}",
                key=f"mount-{index}",
                undo=Undo("remove"),
                find=((key, name), ("dst", mount.dst)),
            )
        )
    body.put(dialect.mount_list_arg, ",".join(names), "-v")
    return steps


def _free(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    n = 2
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"


def is_logging_rule_ours(rule: Mapping[str, str]) -> bool:
    """Whether mikrodock added this ``/system/logging`` rule (by comment, or by prefix where
    the version's logging rules take no comment)."""
    return rule.get("comment") == LOGGING_TAG or (
        not rule.get("comment")
        and rule.get("prefix") == LOGGING_PREFIX
        and rule.get("topics") == "container"
    )


def _logging_steps(state: RouterState, dialect: Dialect) -> list[Step]:
    for rule in state.logging:
        if "container" in rule.get("topics", "").split(",") and rule.get("disabled") != "true":
            return []
    body: dict[str, Value] = {"topics": "container", "action": "memory"}
    mark: tuple[str, str]
    if dialect.has_arg("system/logging", "add", "comment"):
        mark = ("comment", LOGGING_TAG)
    else:  # logging rules take no comment before 7.22: the prefix marks the rule as ours
        mark = ("prefix", LOGGING_PREFIX)
    body[mark[0]] = mark[1]
    return [
        Step(
            "add",
            "system/logging",
            body,
            "keep container output in the router's log",
            key="logging",
            undo=Undo("release"),
            find=(mark,),
            claim=Claim("shared"),
        )
    ]


def _limits(spec: ContainerSpec, body: _Body) -> None:
    dialect = body.dialect
    if spec.memory is not None:
        arg = "memory-max" if dialect.has_arg("container", "add", "memory-max") else "memory-high"
        body.put(arg, str(spec.memory), "--memory")
    if spec.memory_swap is not None:
        if spec.memory_swap == -1:
            body.put("swap-max", "unlimited", "--memory-swap")
        else:
            swap = spec.memory_swap - (spec.memory or 0)
            if swap < 0:
                raise UsageError(
                    "--memory-swap is smaller than --memory",
                    hint="--memory-swap counts memory plus swap",
                )
            body.put("swap-max", str(swap), "--memory-swap")
    if spec.cpuset:
        body.put("cpu-list", _cpu_list(spec.cpuset), "--cpuset-cpus")
    if spec.shm_size is not None:
        body.put("shm-size", str(spec.shm_size), "--shm-size")
    if spec.tmpfs:
        body.put("tmpfs", ",".join(spec.tmpfs), "--tmpfs")
    if spec.devices:
        body.put("devices", ",".join(spec.devices), "--device")
    if spec.privileged:
        body.put("privileged", "yes", "--privileged")


def _restart_and_health(spec: ContainerSpec, body: _Body) -> None:
    dialect = body.dialect
    policy = spec.restart
    if policy.name != "no":
        body.put("start-on-boot", "yes", f"--restart {policy}")
        if policy.name == "on-failure" or dialect.restart_policy:
            body.put("restart-policy", policy.name, f"--restart {policy}")
            if policy.max_retries is not None:
                body.put("restart-max-count", str(policy.max_retries), f"--restart {policy}")
        else:
            body.put("auto-restart-interval", "10s", f"--restart {policy}")
    health = spec.health
    if health.is_set:
        if health.cmd:
            body.put("healthcheck-cmd", " ".join(health.cmd), "--health-cmd")
        for arg, seconds, flag in (
            ("healthcheck-interval", health.interval, "--health-interval"),
            ("healthcheck-timeout", health.timeout, "--health-timeout"),
            ("healthcheck-start-period", health.start_period, "--health-start-period"),
        ):
            if seconds is not None:
                body.put(arg, format_duration(max(seconds, 1.0)), flag)
        if health.retries is not None:
            body.put("healthcheck-retries", str(health.retries), "--health-retries")
    if spec.stop_signal:
        body.put("stop-signal", signal_number(spec.stop_signal), "--stop-signal")
    if spec.stop_timeout is not None:
        body.put("stop-time", format_duration(spec.stop_timeout), "--stop-timeout")


def _process(spec: ContainerSpec, body: _Body) -> None:
    if spec.entrypoint:
        body.put(
            "entrypoint", join_argv(check_argv(spec.entrypoint, "--entrypoint")), "--entrypoint"
        )
    if spec.cmd:
        body.put("cmd", join_argv(check_argv(spec.cmd, "command")), "CMD")
    for arg, value, flag in (
        ("workdir", spec.workdir, "-w"),
        ("user", spec.user, "-u"),
        ("hostname", spec.hostname, "--hostname"),
    ):
        if value:
            body.put(arg, value, flag)
    if spec.dns:
        body.put("dns", ",".join(spec.dns), "--dns")
    if spec.hosts:
        body.put("hosts", ",".join(f"{h.name}:{h.address}" for h in spec.hosts), "--add-host")


def plan_run(spec: ContainerSpec, state: RouterState, *, spread: int = 0) -> Plan:
    """Every step that makes ``spec`` real on the router described by ``state``.

    ``spread`` > 0 (a retry after a concurrent deploy took the address) picks the address at
    random among the first ``spread`` free ones."""
    dialect = Dialect.for_version(state.version)
    require_command(dialect, "container", "add", "containers (the container package)")
    if state.containers_allowed is False:
        raise UnsupportedError(
            "this router's device-mode does not allow containers",
            hint="on the router run /system/device-mode/update container=yes, then power-cycle"
            " it (a hard reset or power off and on) within the activation timeout",
        )
    platform = ARCH_PLATFORMS.get(state.architecture)
    if platform is None:
        raise PlanError(
            f"RouterOS on {state.architecture or 'this architecture'} cannot run containers",
            hint="containers need an x86_64, arm64 or arm router",
        )
    if find_container(state, spec.name) is not None:
        raise UsageError(
            f"a container named {spec.name!r} already exists",
            hint=f"remove it with `mikrodock rm -f {spec.name}` or pick another --name",
        )
    if not spec.force_service_port:
        check_service_ports(spec.ports, router_services(state.services))
    body = _Body(dialect)
    body.values["comment"] = spec.tag
    if dialect.has_arg("container", "add", "name"):
        body.values["name"] = spec.name
    steps = _image_steps(spec, state, body)
    network, net_steps = network_steps(spec.network, state)
    if not network.exists and spec.network != DEFAULT_NETWORK:
        raise UsageError(
            f"network {spec.network!r} not found",
            hint=f"create it with `mikrodock network create {spec.network}`",
        )
    veth, address, ctr_net = container_network_steps(spec, state, network, spread)
    steps += net_steps + ctr_net
    body.put("interface", veth, "--network")
    steps += _env_steps(spec, state, body)
    steps += _mount_steps(spec, state, body)
    _process(spec, body)
    _limits(spec, body)
    _restart_and_health(spec, body)
    disk = storage_disk(state)
    root = spec.root_dir or (f"{disk}/mikrodock/{spec.name}" if disk else f"mikrodock/{spec.name}")
    body.put("root-dir", root, "--root-dir")
    body.put("logging", "yes" if spec.logging else "no", "--logging")
    if spec.logging:
        steps += _logging_steps(state, dialect)
    tag = spec.tag
    create = Step(
        "add",
        "container",
        body.values,
        f"container {spec.name}",
        key="container",
        undo=Undo("remove"),
        find=(("comment", tag),),
        claim=Claim("container", network.name),
    )
    steps.append(create)
    ref: Ref = create.ref()
    steps.append(
        Step(
            "wait",
            "container",
            {"until": "extracted"},
            "wait until the image is downloaded and extracted",
            item=ref,
        )
    )
    if spec.start:
        steps.append(
            Step(
                "command",
                "container",
                {dialect.numbers_arg: ref},
                f"start {spec.name}",
                command="start",
                item=ref,
            )
        )
    facts = {
        "network": network.name,
        "subnet": str(network.subnet),
        "address": str(address),
        "veth": veth,
        "root-dir": root,
        "version": str(state.version),
        "platform": platform,
    }
    return Plan(spec.name, tuple(steps), facts)
