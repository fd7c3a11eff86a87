"""The QEMU argv builder: pure, so every rule is checked without QEMU."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mikrodock.chr.argv import Forward, LinkNic, MachineSpec, build_argv


def _spec(**changes: object) -> MachineSpec:
    base: dict[str, object] = dict(
        name="r1",
        arch="x86_64",
        disk=Path("/m/r1/disk.qcow2"),
        qmp_socket=Path("/m/r1/qmp.sock"),
        serial_socket=Path("/m/r1/serial.sock"),
        serial_log=Path("/m/r1/serial.log"),
        pidfile=Path("/m/r1/qemu.pid"),
        forwards=(Forward(40080, 80), Forward(40022, 22)),
    )
    base.update(changes)
    return MachineSpec(**base)  # type: ignore[arg-type]


def _value(argv: list[str], flag: str) -> list[str]:
    return [argv[i + 1] for i, item in enumerate(argv) if item == flag]


def test_x86_uses_q35_seabios_and_explicit_virtio_pci() -> None:
    argv = build_argv(_spec())
    assert argv[0] == "qemu-system-x86_64"
    assert _value(argv, "-machine") == ["q35"]
    assert "-bios" not in argv and not any("pflash" in a for a in argv)
    devices = _value(argv, "-device")
    assert any(d.startswith("virtio-blk-pci,drive=disk0") for d in devices)
    assert any(d.startswith("virtio-net-pci,netdev=net0") for d in devices)
    assert not any("if=virtio" in a for a in argv)


def test_forwards_bind_loopback_unless_publish_all() -> None:
    netdev = _value(build_argv(_spec()), "-netdev")[0]
    assert "hostfwd=tcp:127.0.0.1:40080-:80" in netdev
    assert "hostfwd=tcp:127.0.0.1:40022-:22" in netdev
    wide = _value(build_argv(_spec(publish_all=True)), "-netdev")[0]
    assert "hostfwd=tcp::40080-:80" in wide


def test_qmp_and_serial_on_unix_sockets_with_a_log() -> None:
    argv = build_argv(_spec())
    assert _value(argv, "-qmp") == ["unix:/m/r1/qmp.sock,server=on,wait=off"]
    chardev = _value(argv, "-chardev")[0]
    assert "path=/m/r1/serial.sock" in chardev and "logfile=/m/r1/serial.log" in chardev
    assert _value(argv, "-serial") == ["chardev:serial0"]


def test_aarch64_uses_virt_and_two_pflash_units() -> None:
    argv = build_argv(
        _spec(
            arch="aarch64",
            firmware_code=Path("/fw/CODE.fd"),
            firmware_vars=Path("/m/r1/vars.fd"),
        )
    )
    assert argv[0] == "qemu-system-aarch64"
    assert _value(argv, "-machine") == ["virt"]
    drives = _value(argv, "-drive")
    assert "if=pflash,format=raw,unit=0,readonly=on,file=/fw/CODE.fd" in drives
    assert "if=pflash,format=raw,unit=1,file=/m/r1/vars.fd" in drives
    assert any(d.startswith("virtio-blk-pci") for d in _value(argv, "-device"))


def test_aarch64_without_firmware_is_refused() -> None:
    with pytest.raises(ValueError, match="firmware"):
        build_argv(_spec(arch="aarch64"))


def test_links_are_udp_socket_netdevs_with_their_own_macs() -> None:
    argv = build_argv(_spec(links=(LinkNic(50001, 50002, "52:54:00:aa:00:01"),)))
    netdevs = _value(argv, "-netdev")
    assert netdevs[1] == "socket,id=net1,udp=127.0.0.1:50002,localaddr=127.0.0.1:50001"
    assert "virtio-net-pci,netdev=net1,mac=52:54:00:aa:00:01" in _value(argv, "-device")


def test_accel_memory_cpus_and_incoming() -> None:
    argv = build_argv(_spec(accel="kvm", memory_mib=512, cpus=2, incoming=True))
    assert _value(argv, "-accel") == ["kvm"]
    assert _value(argv, "-m") == ["512M"] and _value(argv, "-smp") == ["2"]
    assert _value(argv, "-incoming") == ["defer"]


def test_commas_in_paths_are_escaped() -> None:
    argv = build_argv(_spec(disk=Path("/m/a,b/disk.qcow2")))
    assert "file=/m/a,,b/disk.qcow2" in _value(argv, "-drive")[0]


@given(
    name=st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True),
    memory=st.integers(min_value=1, max_value=1 << 16),
    ports=st.lists(st.integers(1, 65535), max_size=6),
)
def test_pure_and_stable(name: str, memory: int, ports: list[int]) -> None:
    spec = _spec(name=name, memory_mib=memory, forwards=tuple(Forward(p, 80) for p in ports))
    assert build_argv(spec) == build_argv(spec)
    assert f"mikrodock-{name}" in build_argv(spec)


def test_a_fixed_cpu_model_is_passed_only_when_asked() -> None:
    assert "-cpu" not in build_argv(_spec(accel="kvm"))  # QEMU's default, as `chr run` always did
    for accel in ("tcg", "kvm"):
        assert _value(build_argv(_spec(accel=accel, cpu="qemu64")), "-cpu") == ["qemu64"]
