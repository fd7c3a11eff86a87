"""A compose volume never leaves its folder on the router (containers mode)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mikrodock.compose.compose_file import load_compose_text
from mikrodock.compose.to_specs import service_spec
from mikrodock.routeros.yaml_nodes import YamlError


def _spec(volume: str, tmp_path: Path) -> list[str]:
    text = f"services:\n  web:\n    image: nginx\n    volumes: ['{volume}']\n"
    project = load_compose_text(text, source="c.yaml", base_dir=tmp_path, project_name="p")
    return [m.src for m in service_spec(project, project.services[0], "disk1").mounts]


@pytest.mark.parametrize("volume", ["../../../etc:/x", "./a/../../../rw:/x", "/:/x"])
def test_escaping_volume_is_refused(volume: str, tmp_path: Path) -> None:
    with pytest.raises(YamlError, match="volume"):
        _spec(volume, tmp_path)


@pytest.mark.parametrize(
    ("volume", "src"),
    [("./site:/x", "disk1/mikrodock/p/site"), ("/disk1/media:/x", "disk1/media")],
)
def test_volumes_inside_are_kept(volume: str, src: str, tmp_path: Path) -> None:
    assert _spec(volume, tmp_path) == [src]
