"""Small pure pieces: accelerator choice, failure detection, ports, names, UEFI vars."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from mikrodock.chr import accel, ports, process
from mikrodock.chr.machine import parse_publish
from mikrodock.chr.state import validate_name
from mikrodock.errors import MachineError, UsageError


def test_tcg_is_always_possible_and_auto_ends_in_tcg() -> None:
    assert accel.candidates("tcg", "x86_64") == ["tcg"]
    assert accel.candidates("auto", "x86_64")[-1] == "tcg"
    other = "aarch64" if accel.host_arch() == "x86_64" else "x86_64"
    assert accel.candidates("auto", other) == ["tcg"]  # no KVM across architectures
    with pytest.raises(MachineError, match="KVM is not usable"):
        accel.candidates("kvm", other)
    with pytest.raises(UsageError, match="unknown accelerator"):
        accel.candidates("xen", "x86_64")


def test_kvm_failures_are_recognised() -> None:
    stderr = "KVM internal error. Suberror: 1\nemulation failure\nEAX=00000000 EBX=00000000"
    assert accel.accel_failure("kvm", stderr) == "KVM internal error. Suberror: 1"
    assert accel.accel_failure("kvm", "warning: host doesn't support requested feature") is None
    assert accel.accel_failure("tcg", stderr) is None


def test_picked_ports_are_free_distinct_and_avoid_taken_ones() -> None:
    picked = ports.pick_free(5)
    assert len(set(picked)) == 5 and all(ports.is_free(p) for p in picked)
    again = ports.pick_free(5, taken=picked)
    assert not set(again) & set(picked)


def test_a_listening_port_is_not_free() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        assert not ports.is_free(port)
        with pytest.raises(UsageError, match="already in use"):
            ports.check_free(port)


def test_publish_syntax() -> None:
    assert parse_publish(("8080:80", "8291", "2222:22/tcp")) == [(8080, 80), (0, 8291), (2222, 22)]
    for bad in ("x:80", "1:2:3", "70000:80", "0:80"):
        with pytest.raises(UsageError, match="bad -p"):
            parse_publish((bad,))


@pytest.mark.parametrize("name", ["r1", "edge-router_2", "a" * 40])
def test_good_names(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize("name", ["", "R1", "-r", "a b", "a/b", "a" * 41, "../x"])
def test_bad_names(name: str) -> None:
    with pytest.raises(UsageError, match="bad machine name"):
        validate_name(name)


def test_uefi_vars_are_as_large_as_the_code(tmp_path: Path) -> None:
    code = tmp_path / "CODE.fd"
    code.write_bytes(b"\1" * 4096)
    template = tmp_path / "VARS.fd"
    template.write_bytes(b"\2" * 100)
    out = tmp_path / "vars.fd"
    process.make_vars(code, template, out)
    assert out.stat().st_size == 4096 and out.read_bytes()[:100] == b"\2" * 100
    process.make_vars(code, None, out)
    assert out.read_bytes() == b"\0" * 4096


def test_a_port_coming_free_within_the_grace_is_taken() -> None:
    import socket
    import threading

    from mikrodock.chr.ports import check_free

    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = int(holder.getsockname()[1])
    with pytest.raises(UsageError, match=f"host port {port} is already in use"):
        check_free(port)  # no grace: held now, refused now
    threading.Timer(0.3, holder.close).start()  # like a QEMU that was just killed
    check_free(port, grace=5.0)
