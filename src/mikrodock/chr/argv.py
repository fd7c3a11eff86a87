"""The QEMU command line for one CHR machine, built by a pure function.

:func:`build_argv` turns a :class:`MachineSpec` into the argument list; it touches no file, runs
no process and needs no QEMU installed, so every rule below is unit-tested:

- x86_64: ``q35`` with SeaBIOS (the CHR boot partition is not FAT, UEFI cannot boot it);
- aarch64: ``virt`` with EDK2 as two pflash units (read-only code, a per-machine vars copy);
- disks and NICs always as explicit ``virtio-blk-pci`` / ``virtio-net-pci`` (``if=virtio`` means
  virtio-mmio on ``virt``, which RouterOS lacks);
- the CPU model is QEMU's default unless the spec fixes one (a memory snapshot meant to restore
  on other hosts, :mod:`mikrodock.chr.docker.baked`);
- forwarded ports bound to 127.0.0.1 unless the spec opens them on every interface;
- QMP and the serial console on unix sockets, the console also copied to a log file by QEMU;
- links to other machines as UDP socket netdevs (no start order between the two ends);
- a few empty PCIe root ports, so a running machine can take a hot-plugged NIC
  (``chr run --link``, see :mod:`mikrodock.chr.links`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "ARCHES",
    "DEFAULT_GUEST_PORTS",
    "HOTPLUG_PORTS",
    "Forward",
    "LinkNic",
    "MachineSpec",
    "build_argv",
    "qemu_binary",
]

ARCHES = ("x86_64", "aarch64")

DEFAULT_GUEST_PORTS: dict[str, int] = {
    "http": 80,
    "ssh": 22,
    "api": 8728,
    "api-ssl": 8729,
    "winbox": 8291,
}
"""Guest ports forwarded on every machine (REST/WebFig, SSH, API, API-SSL, WinBox)."""


@dataclass(frozen=True)
class Forward:
    """One forwarded TCP port: ``host`` on this machine to ``guest`` in the router."""

    host: int
    guest: int


@dataclass(frozen=True)
class LinkNic:
    """An extra NIC wired to another machine's NIC through a pair of UDP sockets."""

    local_port: int
    remote_port: int
    mac: str
    tap: str = ""
    """a TAP device of this name instead of the UDP sockets (a container's data interface)"""


@dataclass(frozen=True)
class MachineSpec:
    """Everything QEMU needs to know to run one machine."""

    name: str
    arch: str
    disk: Path
    qmp_socket: Path
    serial_socket: Path
    serial_log: Path
    pidfile: Path
    memory_mib: int = 256
    cpus: int = 1
    accel: str = "tcg"
    forwards: tuple[Forward, ...] = ()
    mac: str = "52:54:00:12:34:56"
    links: tuple[LinkNic, ...] = ()
    publish_all: bool = False
    firmware_code: Path | None = None
    firmware_vars: Path | None = None
    incoming: bool = False
    cpu: str = ""
    """a fixed CPU model (``-cpu``); empty: QEMU's default (x86_64: ``qemu64`` under TCG and KVM
    alike) or, on aarch64, ``host`` under KVM/HVF and ``cortex-a57`` under TCG"""
    extra: tuple[str, ...] = field(default=())


HOTPLUG_PORTS = tuple(f"hp{index}" for index in range(4))
"""Ids of the empty PCIe root ports every machine gets for hot-plugged NICs."""


def qemu_binary(arch: str) -> str:
    """The QEMU system emulator for ``arch`` (a name looked up on PATH)."""
    return f"qemu-system-{arch}"


def _opt(*pairs: str) -> str:
    return ",".join(pairs)


def _comma_safe(path: Path) -> str:
    # QEMU option values escape a comma by doubling it.
    return str(path).replace(",", ",,")


def _machine(spec: MachineSpec) -> list[str]:
    if spec.arch == "x86_64":
        return ["-machine", "q35", "-accel", spec.accel, *(["-cpu", spec.cpu] if spec.cpu else [])]
    if spec.arch == "aarch64":
        cpu = spec.cpu or ("host" if spec.accel in ("kvm", "hvf") else "cortex-a57")
        return [
            "-machine",
            "virt,gic-version=3" if cpu == "host" else "virt",
            "-accel",
            spec.accel,
            "-cpu",
            cpu,
        ]
    raise ValueError(f"unknown architecture {spec.arch!r}")


def _firmware(spec: MachineSpec) -> list[str]:
    if spec.arch != "aarch64":
        return []
    if spec.firmware_code is None or spec.firmware_vars is None:
        raise ValueError("aarch64 needs EDK2 firmware code and a per-machine vars file")
    code = _opt(
        "if=pflash",
        "format=raw",
        "unit=0",
        "readonly=on",
        f"file={_comma_safe(spec.firmware_code)}",
    )
    vars_ = _opt("if=pflash", "format=raw", "unit=1", f"file={_comma_safe(spec.firmware_vars)}")
    return ["-drive", code, "-drive", vars_]


def _user_net(spec: MachineSpec) -> list[str]:
    bind = "" if spec.publish_all else "127.0.0.1"
    parts = ["user", "id=net0"]
    parts += [f"hostfwd=tcp:{bind}:{fwd.host}-:{fwd.guest}" for fwd in spec.forwards]
    return [
        "-netdev", _opt(*parts),
        "-device", _opt("virtio-net-pci", "netdev=net0", f"mac={spec.mac}"),
    ]  # fmt: skip


def _links(spec: MachineSpec) -> list[str]:
    argv: list[str] = []
    for index, link in enumerate(spec.links, start=1):
        if link.tap:
            netdev = _opt(
                "tap", f"id=net{index}", f"ifname={link.tap}", "script=no", "downscript=no"
            )
        else:
            netdev = _opt(
                "socket",
                f"id=net{index}",
                f"udp=127.0.0.1:{link.remote_port}",
                f"localaddr=127.0.0.1:{link.local_port}",
            )
        device = _opt("virtio-net-pci", f"netdev=net{index}", f"mac={link.mac}")
        argv += ["-netdev", netdev, "-device", device]
    return argv


def _hotplug_ports() -> list[str]:
    argv: list[str] = []
    for chassis, port in enumerate(HOTPLUG_PORTS, start=1):
        argv += ["-device", _opt("pcie-root-port", f"id={port}", f"chassis={chassis}")]
    return argv


def build_argv(spec: MachineSpec) -> list[str]:
    """The full QEMU argv (program first) for ``spec``. Pure: same spec, same list."""
    if spec.memory_mib <= 0 or spec.cpus <= 0:
        raise ValueError("memory and cpus must be positive")
    disk = _opt(
        f"file={_comma_safe(spec.disk)}", "if=none", "id=disk0", "format=qcow2", "discard=unmap"
    )
    argv = [
        qemu_binary(spec.arch),
        "-name", f"mikrodock-{spec.name}",
        *_machine(spec),
        "-m", f"{spec.memory_mib}M",
        "-smp", str(spec.cpus),
        "-nodefaults", "-no-user-config", "-display", "none",
        "-pidfile", str(spec.pidfile),
        *_firmware(spec),
        "-qmp", _opt(f"unix:{_comma_safe(spec.qmp_socket)}", "server=on", "wait=off"),
        "-chardev", _opt("socket", "id=serial0", f"path={_comma_safe(spec.serial_socket)}",
                         "server=on", "wait=off", f"logfile={_comma_safe(spec.serial_log)}",
                         "logappend=on"),
        "-serial", "chardev:serial0",
        "-drive", disk,
        "-device", _opt("virtio-blk-pci", "drive=disk0", "bootindex=0"),
        *_user_net(spec),
        *_links(spec),
        *_hotplug_ports(),
    ]  # fmt: skip
    if spec.incoming:
        argv += ["-incoming", "defer"]
    argv += list(spec.extra)
    return argv
