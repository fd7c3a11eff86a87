"""Parsers for the Docker flags users type: each turns one flag value into a spec value.

Every parser raises :class:`~mikrodock.errors.UsageError` naming the bad value and how to write it.
RouterOS has no shell parsing of ``entrypoint``/``cmd`` (it splits the string at spaces), so
:func:`check_argv` refuses arguments whose boundaries RouterOS could not keep.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from mikrodock.containers.spec import (
    EnvVar,
    HostEntry,
    Mount,
    PortMapping,
    PullPolicy,
    RestartPolicy,
)
from mikrodock.errors import UsageError
from mikrodock.routeros.values import parse_duration, parse_size

__all__ = [
    "check_argv",
    "check_count",
    "check_name",
    "check_seconds",
    "join_argv",
    "parse_add_host",
    "parse_cpuset",
    "parse_dns",
    "parse_duration_flag",
    "parse_env",
    "parse_env_file",
    "parse_hostname",
    "parse_ip",
    "parse_memory",
    "parse_port",
    "parse_pull",
    "parse_restart",
    "parse_root_dir",
    "parse_subnet",
    "parse_volume",
    "parse_workdir",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
_PORTS = re.compile(r"([0-9]{1,5})(?:-([0-9]{1,5}))?")  # ASCII digits only: not "８０"
_CPUS = re.compile(r"([0-9]{1,4})(?:-([0-9]{1,4}))?")
_HOST_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_UNSAFE_PATH = re.compile(r"[\s,\"'\\]|[\x00-\x1f\x7f]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_BYTES = (1 << 64) - 1
"""RouterOS keeps numbers as unsigned 64-bit: larger sizes cannot reach the router."""
MIN_MEMORY = 1 << 20
MAX_SECONDS = 100 * 365 * 86400
"""Longer than any timeout means anything: a larger value is a typo."""
_ENV_KEY = re.compile(r"^[^=\s,\"']+$")
_UNSAFE_ARG = re.compile(r"[\s\"'\\]")


def check_name(name: str, what: str = "container name") -> str:
    """Docker's name rule (``[a-zA-Z0-9][a-zA-Z0-9_.-]*``), at most 63 characters."""
    if not _NAME.match(name):
        raise UsageError(
            f"invalid {what} {name!r}",
            hint="use letters, digits, '_', '.' or '-', starting with a letter or digit",
        )
    return name


def _port_range(text: str, flag: str) -> tuple[int, int]:
    match = _PORTS.fullmatch(text)
    if not match:
        raise UsageError(
            f"invalid port {text!r} in -p {flag}", hint="write a number or a range like 8000-8010"
        )
    start = int(match[1])
    end = int(match[2]) if match[2] else start
    if not (1 <= start <= end <= 65535):
        raise UsageError(
            f"invalid port range {text!r} in -p {flag}",
            hint="ports go from 1 to 65535 and a range from low to high",
        )
    return start, end - start + 1


def parse_port(text: str) -> PortMapping:
    """``[IP:]HOST:CTR[/tcp|/udp]`` with optional equal-length ranges on both sides."""
    body, _, proto = text.partition("/")
    proto = proto.lower() or "tcp"
    if proto not in ("tcp", "udp"):
        raise UsageError(f"unsupported protocol {proto!r} in -p {text}", hint="use /tcp or /udp")
    if body.startswith("["):
        raise UsageError(
            f"IPv6 host address in -p {text} is not supported",
            hint="mikrodock forwards IPv4 ports only; give an IPv4 address or none",
        )
    parts = body.split(":")
    if len(parts) == 2:
        host_ip, host, ctr = None, parts[0], parts[1]
    elif len(parts) == 3:
        host_ip, host, ctr = parts
    else:
        raise UsageError(
            f"invalid port mapping {text!r}",
            hint="write -p HOST:CONTAINER, e.g. -p 8080:80 or -p 127.0.0.1:8080:80/udp",
        )
    if not host:
        raise UsageError(
            f"-p {text} has no host port; RouterOS cannot pick a random one",
            hint="give the host port, e.g. -p 8080:80",
        )
    if host_ip:
        host_ip = parse_ip(host_ip, f"-p {text}")
    host_start, host_count = _port_range(host, text)
    ctr_start, ctr_count = _port_range(ctr, text)
    if host_count != ctr_count:
        raise UsageError(
            f"port ranges in -p {text} differ in length",
            hint="give ranges of the same length on both sides, e.g. 8000-8002:80-82",
        )
    return PortMapping(
        host_port=host_start,
        container_port=ctr_start,
        protocol="udp" if proto == "udp" else "tcp",
        host_ip=host_ip or None,
        count=host_count,
    )


def parse_ip(text: str, where: str) -> str:
    """An IPv4 address (as RouterOS firewall and VETH rules need)."""
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        raise UsageError(f"invalid IPv4 address {text!r} in {where}") from None


def parse_env(text: str, environ: Mapping[str, str]) -> EnvVar | None:
    """``K=V``; a bare ``K`` takes this machine's value and is dropped when unset (as Docker)."""
    key, sep, value = text.partition("=")
    if not _ENV_KEY.match(key):
        raise UsageError(
            f"invalid environment variable name {key!r} in -e {text}",
            hint="write -e NAME=value with a name free of spaces, quotes, commas and '='",
        )
    if not sep:
        if key not in environ:
            return None
        value = environ[key]
    return EnvVar(key, value)


def parse_env_file(path: str | Path, environ: Mapping[str, str]) -> list[EnvVar]:
    """Docker's env-file: one ``K=V`` or ``K`` a line, ``#`` comments, no quote processing."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            f"cannot read --env-file {path}: {exc.strerror}",
            hint="check the path; the file holds one KEY=value per line",
        ) from exc
    except UnicodeDecodeError:
        raise UsageError(
            f"--env-file {path} is not UTF-8 text",
            hint="give a text file with one KEY=value per line",
        ) from None
    if "\0" in text:
        raise UsageError(
            f"--env-file {path} holds NUL bytes (a binary file?)",
            hint="give a text file with one KEY=value per line",
        )
    result = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            env = parse_env(stripped, environ)
        except UsageError as exc:
            raise UsageError(f"{path}:{number}: {exc}", hint=exc.hint) from None
        if env is not None:
            result.append(env)
    return result


def parse_volume(text: str) -> Mount:
    """``SRC:DST[:ro|rw]``; SRC is a path on the router (``disk1/data``), DST absolute."""
    parts = text.split(":")
    mode = "rw"
    if len(parts) == 3:
        mode = parts.pop()
    if len(parts) != 2 or not parts[0] or not parts[1]:
        raise UsageError(
            f"invalid volume {text!r}",
            hint="write -v ROUTER_PATH:CONTAINER_PATH[:ro], e.g. -v disk1/data:/data; "
            "RouterOS has no anonymous volumes",
        )
    src, dst = parts
    if mode not in ("ro", "rw"):
        raise UsageError(f"unsupported volume option {mode!r} in -v {text}", hint="use :ro or :rw")
    if not dst.startswith("/"):
        raise UsageError(
            f"container path {dst!r} in -v {text} is not absolute", hint="start it with /"
        )
    if not src.strip("/"):
        raise UsageError(
            f"-v {text} would give the container the router's whole file system",
            hint="name a folder on the router's disk, e.g. -v disk1/data:/data",
        )
    if ".." in src.split("/") or ".." in dst.split("/"):
        raise UsageError(
            f"-v {text}: a path holds '..'",
            hint="name the folder on the router's disk directly, e.g. -v disk1/data:/data",
        )
    for part in (src, dst):
        if any(ch in part for ch in ",\"'") or any(ch.isspace() for ch in part):
            raise UsageError(
                f"path {part!r} in -v {text} holds a space, comma or quote",
                hint="RouterOS mount lists cannot carry these; rename the folder",
            )
    return Mount(src=src, dst=dst.rstrip("/") or "/", read_only=mode == "ro")


def parse_memory(text: str, flag: str = "--memory", minimum: int = MIN_MEMORY) -> int:
    """``256m``, ``1g``, ``512M``: bytes, from ``minimum`` to what RouterOS can hold."""
    hint = "give a size such as 256m or 1g"
    if not text.strip() or not text.isascii() or len(text) > 32:
        raise UsageError(f"invalid {flag} {text!r}", hint=hint)
    try:
        size = parse_size(text)
    except (UsageError, ValueError, OverflowError) as exc:
        raise UsageError(f"invalid {flag} {text!r}", hint=hint) from exc
    if size is None or size <= 0:
        raise UsageError(f"invalid {flag} {text!r}", hint="give a positive size such as 256m or 1g")
    if size < minimum:
        raise UsageError(f"{flag} {text} is below the smallest limit of {minimum} bytes", hint=hint)
    if size > MAX_BYTES:
        raise UsageError(f"{flag} {text} is larger than a router can hold", hint=hint)
    return size


def parse_memory_swap(text: str) -> int:
    """Docker's ``--memory-swap``: a size, or -1 for unlimited swap."""
    if text.strip() == "-1":
        return -1
    return parse_memory(text, "--memory-swap")


def parse_cpuset(text: str) -> str:
    """``--cpuset-cpus``: ``0-3``, ``0,2``, ``1``; ranges from low to high."""
    for part in text.split(","):
        match = _CPUS.fullmatch(part)
        if not match or (match[2] is not None and int(match[2]) < int(match[1])):
            raise UsageError(
                f"invalid --cpuset-cpus {text!r}",
                hint="list CPU numbers and low-high ranges, e.g. 0-1 or 0,2",
            )
    return text


def check_count(value: int | None, flag: str, *, maximum: int = 1 << 31) -> int | None:
    """A whole number a flag takes (``--health-retries``, ``--stop-timeout``): 0 or more."""
    if value is not None and not 0 <= value <= maximum:
        raise UsageError(f"invalid {flag} {value}", hint=f"give a number from 0 to {maximum}")
    return value


def check_seconds(value: float, flag: str) -> float:
    """A number of seconds a flag takes (``--timeout``): finite, positive, not absurd."""
    if not math.isfinite(value) or not 0 < value <= MAX_SECONDS:
        raise UsageError(f"invalid {flag} {value}", hint="give a number of seconds, e.g. 600")
    return value


def parse_hostname(text: str) -> str:
    """A host name as RFC 1123 allows: dot-separated labels of letters, digits and '-'."""
    labels = text.split(".")
    if len(text) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        raise UsageError(
            f"invalid --hostname {text!r}",
            hint="use letters, digits and '-' (labels separated by dots), e.g. web-1",
        )
    return text


def parse_workdir(text: str) -> str:
    """``-w``: an absolute path in the container."""
    if not text.startswith("/") or _CONTROL.search(text):
        raise UsageError(
            f"invalid --workdir {text!r}",
            hint="give an absolute path in the container, e.g. -w /app",
        )
    return text


def parse_root_dir(text: str) -> str:
    """``--root-dir``: a folder on the router's disk (``disk1/containers/web``)."""
    parts = text.strip("/").split("/")
    if not text.strip("/") or ".." in parts or "." in parts or _UNSAFE_PATH.search(text):
        raise UsageError(
            f"invalid --root-dir {text!r}",
            hint="name a folder on the router's disk, e.g. disk1/containers/web (no '..')",
        )
    return text


def parse_restart(text: str) -> RestartPolicy:
    """``no``, ``always``, ``unless-stopped``, ``on-failure[:N]``."""
    name, _, count = text.partition(":")
    if name in ("no", "always", "unless-stopped") and not count:
        return RestartPolicy(name)  # type: ignore[arg-type]
    if name == "on-failure":
        if not count:
            return RestartPolicy("on-failure")
        if re.fullmatch(r"[0-9]{1,9}", count) and int(count) > 0:
            return RestartPolicy("on-failure", int(count))
        raise UsageError(f"invalid retry count in --restart {text}", hint="write on-failure:5")
    raise UsageError(
        f"invalid --restart {text!r}", hint="use no, always, unless-stopped or on-failure[:N]"
    )


def parse_pull(text: str) -> PullPolicy:
    if text not in ("always", "missing", "never"):
        raise UsageError(f"invalid --pull {text!r}", hint="use always, missing or never")
    return text  # type: ignore[return-value]


def parse_duration_flag(text: str, flag: str) -> float:
    """Docker durations (``30s``, ``1m30s``, ``500ms``) and plain seconds, in seconds."""
    bad = UsageError(f"invalid duration {text!r} for {flag}", hint="write e.g. 30s or 1m30s")
    if not text.isascii() or len(text) > 32:
        raise bad
    try:
        seconds = parse_duration(text)
    except (ValueError, OverflowError):
        raise bad from None
    if not math.isfinite(seconds):
        raise bad
    if seconds < 0:
        raise UsageError(f"negative duration for {flag}", hint="write e.g. 30s or 1m30s")
    if seconds > MAX_SECONDS:
        raise UsageError(f"{flag} {text} is longer than 100 years", hint="write e.g. 30s")
    return seconds


def parse_add_host(text: str) -> HostEntry:
    """``NAME:IP`` (or Docker's newer ``NAME=IP``)."""
    sep = "=" if "=" in text else ":"
    name, found, address = text.partition(sep)
    if not found or not name or not address:
        raise UsageError(f"invalid --add-host {text!r}", hint="write --add-host NAME:IP")
    try:
        address = str(ipaddress.ip_address(address.strip("[]")))
    except ValueError:
        raise UsageError(f"invalid address {address!r} in --add-host {text}") from None
    if any(ch in name for ch in ",: ="):
        raise UsageError(f"invalid host name {name!r} in --add-host {text}")
    return HostEntry(name, address)


def parse_subnet(text: str) -> ipaddress.IPv4Network:
    """``--subnet A.B.C.0/24``: an IPv4 network with room for a gateway and containers."""
    try:
        network = ipaddress.IPv4Network(text, strict=False)
    except ValueError:
        raise UsageError(
            f"invalid --subnet {text!r}", hint="give an IPv4 network such as 172.30.0.0/24"
        ) from None
    if network.prefixlen > 30 or network.prefixlen < 8:
        raise UsageError(
            f"--subnet {text} is too {'small' if network.prefixlen > 30 else 'large'}",
            hint="give a prefix from /8 to /30, e.g. 172.30.0.0/24",
        )
    return network


def parse_dns(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise UsageError(f"invalid --dns address {text!r}", hint="give an IP address") from None


def check_argv(words: Iterable[str], what: str) -> tuple[str, ...]:
    """Refuse arguments RouterOS cannot pass unchanged (it splits at spaces, knows no quoting).

    Returns the words as a tuple when every one survives a split at spaces intact.
    """
    result = tuple(words)
    for word in result:
        if not word:
            raise UsageError(
                f"{what} has an empty argument, which RouterOS cannot pass",
                hint="drop the empty argument, or run a script from a mounted volume",
            )
        if _UNSAFE_ARG.search(word):
            raise UsageError(
                f"{what} argument {word!r} holds a space, quote or backslash; RouterOS splits "
                "the command at spaces and has no quoting, so it would not arrive as typed",
                hint="put the command in a script on a mounted volume (-v disk1/s:/s) and run "
                "that script, e.g. --entrypoint /s/start.sh",
            )
    return result


def join_argv(words: Iterable[str]) -> str:
    """The RouterOS string for argv that :func:`check_argv` accepted."""
    return " ".join(words)
