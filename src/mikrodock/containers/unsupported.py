"""Docker flags RouterOS cannot honour, and the errors that say so before anything changes.

Two kinds: flags with no RouterOS counterpart at all (:data:`NO_COUNTERPART`, refused with the
nearest workaround), and flags a given version cannot honour yet (:func:`require_arg`, refused
naming the version where the argument arrives, as the dialect knows it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mikrodock.errors import UnsupportedError, UsageError

if TYPE_CHECKING:
    from mikrodock.routeros.dialect import Dialect

__all__ = ["NO_COUNTERPART", "refuse_flag", "require_arg", "require_command"]

NO_COUNTERPART: dict[str, str] = {
    "-i": "RouterOS containers have no stdin; use `mikrodock exec NAME CMD` for one-off commands",
    "--interactive": "RouterOS containers have no stdin; use `mikrodock exec NAME CMD`",
    "-t": "RouterOS cannot attach a terminal; run detached and use `mikrodock logs -f`",
    "--tty": "RouterOS cannot attach a terminal; run detached and use `mikrodock logs -f`",
    "-a": "RouterOS cannot attach to a container; use `mikrodock logs -f NAME`",
    "--attach": "RouterOS cannot attach to a container; use `mikrodock logs -f NAME`",
    "--cap-add": "RouterOS sets no capabilities; use --privileged (RouterOS 7.24+) if you must",
    "--cap-drop": "RouterOS sets no capabilities; run the process as a non-root user with -u",
    "--security-opt": "RouterOS has no seccomp/AppArmor profiles; drop the option",
    "--ulimit": "RouterOS sets no ulimits; set them in the image's entrypoint script",
    "--pid": "RouterOS gives every container its own PID namespace; drop the option",
    "--ipc": "RouterOS has no shared IPC namespaces; use a shared mount (-v) instead",
    "--userns": "RouterOS has no user namespace remapping; use -u to pick the user",
    "--cgroupns": "RouterOS manages cgroups itself; drop the option",
    "--gpus": "RouterOS has no GPU passthrough; drop the option",
    "--cpus": "RouterOS has no CPU quota; pin CPUs with --cpuset-cpus (7.21+)",
    "--cpu-shares": "RouterOS has no CPU shares; pin CPUs with --cpuset-cpus (7.21+)",
    "--label": "RouterOS containers have no labels; mikrodock tags its objects by comment",
    "-l": "RouterOS containers have no labels; mikrodock tags its objects by comment",
    "--link": "RouterOS has no container links; use --add-host NAME:IP",
    "--init": "RouterOS has no init shim; use an image with tini or dumb-init as entrypoint",
    "--platform": "RouterOS pulls the image for its own architecture only; build for it",
    "--sysctl": "RouterOS sets no per-container sysctls; drop the option",
    "--read-only": "RouterOS cannot make the root file system read-only; mount data with -v ...:ro",
    "--volumes-from": "RouterOS has no volume containers; give the same -v SRC:DST to both",
    "--mount": "use -v ROUTER_PATH:CONTAINER_PATH[:ro], the form RouterOS mounts can express",
    "-P": "RouterOS cannot publish every exposed port; publish each with -p HOST:CTR",
    "--publish-all": "RouterOS cannot publish every exposed port; publish each with -p HOST:CTR",
    "--expose": "RouterOS has no exposed-port metadata; publish with -p HOST:CTR",
    "--log-driver": "RouterOS logs to its own /log; use --logging and `mikrodock logs`",
    "--log-opt": "RouterOS logs to its own /log; use --logging and `mikrodock logs`",
    "--runtime": "RouterOS has one container runtime; drop the option",
    "--isolation": "RouterOS has one isolation mode; drop the option",
    "--network-alias": "RouterOS has no container DNS; use --add-host NAME:IP in the peers",
    "--cidfile": "RouterOS has no container IDs that survive reboots; refer to containers by name",
    "--oom-kill-disable": "RouterOS has no such switch; raise --memory instead",
    "--group-add": "RouterOS cannot add groups; use -u USER[:GROUP]",
    "--ip6": "mikrodock networks are IPv4; drop --ip6",
    "--dns-search": "RouterOS has no DNS search list per container; use full names",
    "--dns-option": "RouterOS has no resolver options per container; drop the option",
    "--mac-address": "mikrodock lets RouterOS pick the VETH MAC address; drop the option",
    "--blkio-weight": "RouterOS has no block-I/O weights; drop the option",
    "--pids-limit": "RouterOS has no PID limits; drop the option",
    "--env-file-literal": "write the values into an --env-file",
}
"""Docker flags with no RouterOS counterpart -> the nearest workaround."""


def refuse_flag(flag: str) -> UsageError:
    """The error for a Docker flag RouterOS has no counterpart for."""
    workaround = NO_COUNTERPART.get(flag, "drop the option")
    return UsageError(f"{flag} has no RouterOS counterpart", hint=workaround)


def require_command(dialect: Dialect, menu: str, command: str, what: str) -> None:
    """Raise :class:`UnsupportedError` unless ``/menu command`` exists on the dialect's version."""
    if dialect.has_menu(menu) and dialect.has_command(menu, command):
        return
    raise _not_yet(dialect, what, f"/{menu} {command}", dialect.arrival(menu, command))


def require_arg(dialect: Dialect, menu: str, command: str, arg: str, what: str) -> None:
    """Raise :class:`UnsupportedError` unless ``arg`` of ``/menu command`` exists there."""
    if (
        dialect.has_menu(menu)
        and dialect.has_command(menu, command)
        and dialect.has_arg(menu, command, arg)
    ):
        return
    raise _not_yet(dialect, what, f"/{menu} {command} {arg}=", dialect.arrival(menu, command, arg))


def _not_yet(dialect: Dialect, what: str, where: str, arrival: object) -> UnsupportedError:
    version = dialect.version
    if arrival is not None:
        return UnsupportedError(
            f"{what} needs RouterOS {arrival} or newer ({where}); this router runs {version}",
            hint=f"upgrade the router to {arrival} or later, or drop {what}",
        )
    return UnsupportedError(
        f"{what} is not available on RouterOS {version} ({where} does not exist)",
        hint=f"drop {what}",
    )
