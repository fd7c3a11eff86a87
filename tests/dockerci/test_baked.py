"""The description of a baked snapshot (``snapshot.json`` in an image) and whether a container
can resume it: whatever the file holds, the answer is a snapshot or a reason, never a crash, and
a container that differs from the snapshot in anything the saved state depends on is refused
with a reason naming it."""

from __future__ import annotations

import json
from dataclasses import asdict, fields, replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mikrodock.chr.docker import baked
from mikrodock.chr.state import MachineRecord

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)


def _folder(tmp_path: Path, meta: bytes) -> Path:
    folder = tmp_path / "snapshot"
    folder.mkdir(exist_ok=True)
    (folder / baked.META).write_bytes(meta)
    (folder / baked.STATE).write_bytes(b"QEVM")
    (folder / "disk.qcow2").write_bytes(b"QFI\xfb")
    return folder


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
@given(meta=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_any_description_gives_a_snapshot_or_a_reason(tmp_path: Path, meta: bytes) -> None:
    found, why = baked.load(_folder(tmp_path, meta))
    assert (found is None) == bool(why)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=80)
@given(field=st.sampled_from([f.name for f in fields(baked.Baked)]), value=json_values)
def test_a_field_of_any_value_gives_a_typed_snapshot_or_a_reason(
    tmp_path: Path, field: str, value: object
) -> None:
    meta = asdict(_snapshot()) | {field: value}
    found, why = baked.load(_folder(tmp_path, json.dumps(meta).encode()))
    if found is None:
        assert field in why
    else:
        assert isinstance(baked.unfit(found, _record(), data_nics=1), str)


def _snapshot() -> baked.Baked:
    return baked.Baked(
        arch="x86_64", version="7.22.3", memory_mib=256, cpus=1, data_nics=1, cpu="qemu64",
        qemu=baked.qemu_version("x86_64"), mac="52:54:00:00:00:01",
    )  # fmt: skip


def _record(**changes: object) -> MachineRecord:
    record = MachineRecord(
        name="router", arch="x86_64", image="7.22.3", base_image=Path("/none"), memory_mib=256,
        cpus=1, accel_requested="auto", ports=(), mac="52:54:00:00:00:02",
    )  # fmt: skip
    return replace(record, **changes)  # type: ignore[arg-type]


def test_a_description_written_by_bake_reads_back(tmp_path: Path) -> None:
    snap = _snapshot()
    found, why = baked.load(_folder(tmp_path, json.dumps(asdict(snap)).encode()))
    assert (found, why) == (snap, "")


def test_a_missing_state_is_a_reason(tmp_path: Path) -> None:
    folder = _folder(tmp_path, json.dumps(asdict(_snapshot())).encode())
    (folder / baked.STATE).unlink()
    found, why = baked.load(folder)
    assert found is None and "has no state" in why


def test_a_container_like_the_snapshot_fits() -> None:
    assert baked.unfit(_snapshot(), _record(), data_nics=1) == ""


def test_other_hardware_a_cpu_model_or_a_qemu_is_refused_by_name() -> None:
    snap = _snapshot()
    assert "memory (MiB) 512" in baked.unfit(snap, _record(memory_mib=512), 1)
    assert "CPUs 2" in baked.unfit(snap, _record(cpus=2), 1)
    assert "data interfaces 0" in baked.unfit(snap, _record(), 0)
    assert "CPU model 'host'" in baked.unfit(replace(snap, cpu="host"), _record(), 1)
    assert "written by QEMU 1.0" in baked.unfit(replace(snap, qemu="QEMU 1.0"), _record(), 1)
