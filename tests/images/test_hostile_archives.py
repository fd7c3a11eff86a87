"""Image archives made to escape: every path that reads an image refuses them the same way.

``image inspect`` calls them refused, ``image save --from-archive`` writes nothing, ``load``
uploads nothing: entries and links that leave the root, device nodes (unless --allow-devices),
and manifest paths outside the archive's folder. Setuid files stay and are listed.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from mikrodock.sim.files import find_file

Entry = tuple[str, bytes, str, int, bytes]  # name, type, link target, mode, data


def _layer(entries: list[Entry]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, kind, link, mode, data in entries:
            info = tarfile.TarInfo(name)
            info.type, info.linkname, info.mode, info.size = kind, link, mode, len(data)
            if kind == tarfile.CHRTYPE:
                info.devmajor, info.devminor = 1, 3
            tar.addfile(info, io.BytesIO(data) if data else None)
    return buffer.getvalue()


def _config(layer: bytes) -> bytes:
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    return json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        }
    ).encode()


def docker_archive(path: Path, entries: list[Entry], layer_name: str = "layer.tar") -> Path:
    """A ``docker save`` archive with one plain layer holding ``entries``."""
    layer = _layer(entries)
    config = _config(layer)
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    manifest = [{"Config": config_name, "RepoTags": ["evil:1"], "Layers": [layer_name]}]
    with tarfile.open(path, "w") as tar:
        for name, data in (
            (layer_name, layer),
            (config_name, config),
            ("manifest.json", json.dumps(manifest).encode()),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


BASE: list[Entry] = [
    ("bin", tarfile.DIRTYPE, "", 0o755, b""),
    ("bin/sh", tarfile.REGTYPE, "", 0o755, b"#!sh\n"),
]
ESCAPES: dict[str, Entry] = {
    "dotdot": ("../../../x", tarfile.REGTYPE, "", 0o644, b"x"),
    "inner-dotdot": ("bin/../../x", tarfile.REGTYPE, "", 0o644, b"x"),
    "hardlink": ("bin/shadow", tarfile.LNKTYPE, "../../etc/shadow", 0o644, b""),
    "symlink": ("bin/up", tarfile.SYMTYPE, "../../../etc", 0o777, b""),
}


@pytest.mark.parametrize("kind", sorted(ESCAPES))
def test_escaping_archive_is_refused_by_inspect_and_save(
    kind: str, tmp_path: Path, run_cli: Any
) -> None:
    archive = docker_archive(tmp_path / "evil.tar", [*BASE, ESCAPES[kind]])
    inspected = run_cli("image", "inspect", str(archive))
    assert inspected.code == 1
    assert "RouterOS will refuse it" in inspected.out and "outside the image" in inspected.out
    out = tmp_path / "out.tar"
    saved = run_cli(
        "image", "save", "--from-archive", str(archive), "--arch", "x86_64", "-o", str(out)
    )
    assert saved.code == 2
    assert "outside the image" in saved.err and "Traceback" not in saved.err
    assert len(saved.err.strip().splitlines()) == 1
    assert not out.exists() and list(tmp_path.iterdir()) == [archive]


def test_links_that_stay_inside_are_kept(tmp_path: Path, run_cli: Any) -> None:
    entries = [
        *BASE,
        ("etc", tarfile.DIRTYPE, "", 0o755, b""),
        ("etc/abs", tarfile.SYMTYPE, "/etc/shadow", 0o777, b""),
        ("etc/rel", tarfile.SYMTYPE, "../bin/sh", 0o777, b""),
        ("etc/hard", tarfile.LNKTYPE, "bin/sh", 0o755, b""),
    ]
    archive = docker_archive(tmp_path / "ok.tar", entries)
    assert run_cli("image", "inspect", str(archive)).code == 0
    out = tmp_path / "out.tar"
    args = ("image", "save", "--from-archive", str(archive), "--arch", "x86_64", "-o", str(out))
    assert run_cli(*args).code == 0
    assert out.exists()


def test_device_nodes_need_allow_devices(tmp_path: Path, run_cli: Any) -> None:
    archive = docker_archive(
        tmp_path / "dev.tar", [*BASE, ("dev/mem", tarfile.CHRTYPE, "", 0o666, b"")]
    )
    inspected = run_cli("image", "inspect", str(archive))
    assert inspected.code == 1 and "device node" in inspected.out
    out = tmp_path / "out.tar"
    args = ("image", "save", "--from-archive", str(archive), "--arch", "x86_64", "-o", str(out))
    refused = run_cli(*args)
    assert refused.code == 2 and "--allow-devices" in refused.err and not out.exists()
    assert run_cli(*args, "--allow-devices").code == 0
    with tarfile.open(out) as outer:
        layer = outer.extractfile("layer.tar")
        assert layer is not None
        with tarfile.open(fileobj=io.BytesIO(layer.read())) as inner:
            node = inner.getmember("dev/mem")
    assert node.ischr() and (node.devmajor, node.devminor) == (1, 3)


def test_setuid_files_stay_and_inspect_lists_them(tmp_path: Path, run_cli: Any) -> None:
    entries = [*BASE, ("bin/passwd", tarfile.REGTYPE, "", 0o4755, b"p")]
    archive = docker_archive(tmp_path / "suid.tar", entries)
    inspected = run_cli("image", "inspect", "--json", str(archive))
    assert inspected.code == 0
    assert json.loads(inspected.out)["setuid"] == ["bin/passwd"]
    assert "setuid/setgid: bin/passwd" in run_cli("image", "inspect", str(archive)).out


@pytest.mark.parametrize("outside", ["/tmp/other.tar", "../other.tar", "a/../../other.tar"])
def test_manifest_paths_outside_the_folder_are_refused(
    outside: str, tmp_path: Path, run_cli: Any
) -> None:
    other = tmp_path / "other.tar"
    other.write_bytes(_layer(BASE))
    folder = tmp_path / "image"
    folder.mkdir()
    archive = docker_archive(tmp_path / "src.tar", BASE)
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest[0]["Layers"] = [outside]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    out = tmp_path / "out.tar"
    args = ("image", "save", "--from-archive", str(folder), "--arch", "x86_64", "-o", str(out))
    saved = run_cli(*args)
    assert saved.code == 2 and "outside the archive" in saved.err
    assert not out.exists()
    assert "outside the archive" in run_cli("image", "inspect", str(folder)).out


def test_symlinked_layer_leading_outside_the_folder_is_refused(
    tmp_path: Path, run_cli: Any
) -> None:
    folder = tmp_path / "image"
    folder.mkdir()
    archive = docker_archive(tmp_path / "src.tar", BASE)
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    (folder / "layer.tar").rename(tmp_path / "elsewhere.tar")
    (folder / "layer.tar").symlink_to(tmp_path / "elsewhere.tar")
    out = tmp_path / "out.tar"
    args = ("image", "save", "--from-archive", str(folder), "--arch", "x86_64", "-o", str(out))
    saved = run_cli(*args)
    assert saved.code == 2 and "leads outside the folder" in saved.err


@pytest.mark.parametrize("kind", ["dotdot", "hardlink", "symlink"])
def test_load_uploads_nothing_for_an_escaping_archive(
    kind: str, routeros_sim: Any, sim_cli: Any, tmp_path: Path
) -> None:
    archive = docker_archive(tmp_path / "evil.tar", [*BASE, ESCAPES[kind]])
    loaded = sim_cli(routeros_sim, "load", str(archive))
    assert loaded.code == 2 and "outside the image" in loaded.err
    assert find_file(routeros_sim.router, "evil.tar") is None


def test_load_refuses_device_nodes_unless_allowed(
    routeros_sim: Any, sim_cli: Any, tmp_path: Path
) -> None:
    archive = docker_archive(
        tmp_path / "dev.tar", [*BASE, ("dev/mem", tarfile.CHRTYPE, "", 0o666, b"")]
    )
    refused = sim_cli(routeros_sim, "load", str(archive))
    assert refused.code == 2 and "device node" in refused.err
    assert find_file(routeros_sim.router, "dev.tar") is None
    assert sim_cli(routeros_sim, "load", "--allow-devices", str(archive)).code == 0
    assert find_file(routeros_sim.router, "dev.tar") is not None
