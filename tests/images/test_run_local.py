"""``mikrodock run --local``: the image is converted here, uploaded, and the container made from
the file; the upload is gone afterwards, on success and on failure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from mikrodock.cli.main import main
from mikrodock.images.convert import save_from_archive
from mikrodock.images.platforms import parse_platform
from mikrodock.sim.files import find_file
from mikrodock.testing.sim_fixtures import container_state, wait_until


def _containers(sim: Any) -> list[dict[str, str]]:
    """The containers as the router reports them over REST."""
    answer = httpx.get(f"{sim.url}/rest/container", auth=(sim.user, sim.password), timeout=10)
    answer.raise_for_status()
    result: list[dict[str, str]] = answer.json()
    return result


def _run(sim: Any, *args: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIKRODOCK_PASSWORD", sim.password)
    try:
        main(["run", "-H", sim.url, "--router-user", sim.user, *args])
    except SystemExit as done:
        assert done.code in (0, None)


@pytest.mark.parametrize("routeros_sim", ["7.21.5", "7.22.3"], indirect=True)
def test_run_local_archive(
    routeros_sim: Any, oci_store: Path, tmp_path: Path, docker_config: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    archive = tmp_path / "layers.tar"
    save_from_archive(oci_store, parse_platform("linux/amd64"), archive, name="layers")
    _run(routeros_sim, "-d", "--local", "--name", "app", str(archive), monkeypatch=monkeypatch)
    containers = routeros_sim.router.state.menu("container").items
    assert len(containers) == 1
    record = containers[0]
    assert record["name"] == "app" and record["comment"] == "mikrodock:app"
    assert (record.get("tag") or record.get("repo")) == "layers:latest"  # from the archive
    assert "remote-image" not in record or not record["remote-image"]
    wait_until(lambda: container_state(_containers(routeros_sim)[0]) == "running")
    assert find_file(routeros_sim.router, "layers.tar") is None  # removed after extraction


def test_run_local_wrong_arch_changes_nothing(
    routeros_sim: Any, oci_store: Path, tmp_path: Path, docker_config: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    archive = tmp_path / "arm.tar"
    save_from_archive(oci_store, parse_platform("linux/arm64"), archive, name="multi")
    monkeypatch.setenv("MIKRODOCK_PASSWORD", routeros_sim.password)
    with pytest.raises(SystemExit) as done:
        main(["run", "-H", routeros_sim.url, "-d", "--local", "--name", "app", str(archive)])
    assert done.value.code == 2
    assert "linux/amd64" in capsys.readouterr().err
    assert routeros_sim.router.state.menu("container").items == []
    assert find_file(routeros_sim.router, "arm.tar") is None
