"""The Python API: the blocking Router and many AsyncRouters at once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mikrodock.containers import AsyncRouter, ContainerSpec, EnvVar, PortMapping, Router
from mikrodock.sim import Delays, running

FAST = Delays(extract=0.05, start=0.01, stop=0.02)


def test_sync_router_facade(transport: str, kit: Any) -> None:
    with (
        running(version="7.23", delays=FAST) as sim,
        Router(kit.router_url(sim, transport), sim.user, sim.password) as router,
    ):
        spec = ContainerSpec(
            name="api",
            image="alpine",
            cmd=("echo", "ready"),
            ports=(PortMapping(8080, 80),),
            env=(EnvVar("MODE", "prod"),),
        )
        result = router.run(spec, poll=0.01)
        assert result.address.startswith("172.")
        assert [(c.name, c.state) for c in router.ps()] == [("api", "running")]
        assert "ready" in [line.message for line in router.logs("api")]
        assert "ready" in [line.message for line in router.logs("api", since="10m")]
        assert router.logs("api", since="2999-01-01T00:00") == []
        assert [line.message for line in router.logs("api", tail=1)] == ["ready"]
        assert router.exec("api", ["echo", "$HOME"]).output == "$HOME"
        assert router.exec("api", ["sh", "-c", "exit 3"]).exit_code == 3
        assert "/container" in router.rm("api", force=True)[0]
        assert router.ps(all=True) == []


def test_many_routers_concurrently() -> None:
    with running(version="7.20", delays=FAST) as one, running(version="7.24", delays=FAST) as two:

        async def deploy(sim: object) -> str:
            async with AsyncRouter(sim.url, sim.user, sim.password) as router:  # type: ignore[attr-defined]
                spec = ContainerSpec(name="web", image="nginx", ports=(PortMapping(8080, 80),))
                await router.run(spec, poll=0.01)
                return (await router.ps())[0].state

        async def both() -> list[str]:
            return list(await asyncio.gather(deploy(one), deploy(two)))

        assert asyncio.run(both()) == ["running", "running"]


@pytest.mark.parametrize("version", ["7.15", "7.19", "7.20", "7.21", "7.22", "7.23", "7.24"])
@pytest.mark.parametrize("inline", [True, False], ids=["inline", "lists"])
def test_every_flag_the_version_has_is_accepted_by_it(
    version: str, inline: bool, kit: Any, transport: str
) -> None:
    """A deploy using every flag the version supports goes through (the simulator answers
    ``unknown parameter`` for any argument the version lacks), and rm leaves nothing."""
    spec = kit.all_flags_spec(version, inline=inline)
    with (
        running(version=version, delays=FAST) as sim,
        Router(kit.router_url(sim, transport), sim.user, sim.password) as router,
    ):
        kit.seed_hand_made(sim, version)
        before = kit.snapshot(sim)
        router.run(spec, poll=0.01)
        record = next(i for i in sim.items("container") if i.get("comment") == "mikrodock:web")
        assert record.get("cmd") == "nginx -g daemon-off"
        assert router.ps()[0].ports == (
            "8080->80/tcp",
            "10.0.0.1:53->53/udp",
            "7000->8000/tcp",
            "7001->8001/tcp",
        )
        router.rm("web", force=True)
        router.prune()
        after = kit.snapshot(sim)
        assert {k: v for k, v in after.items() if k != "container/config"} == {
            k: v for k, v in before.items() if k != "container/config"
        }


def _archive(good: bool) -> bytes:
    import io
    import json
    import tarfile

    def tar(files: dict[str, bytes]) -> bytes:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            for name, data in files.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
        return buffer.getvalue()

    layer = tar({"hello.txt": b"hi\n"})
    layers = ["layer.tar"] if good else ["layer.tar", "layer2.tar"]
    manifest = [{"Config": "config.json", "RepoTags": ["local/app:1"], "Layers": layers}]
    return tar(
        {"manifest.json": json.dumps(manifest).encode(), "config.json": b"{}", "layer.tar": layer}
    )


def test_image_file_loads_and_a_bad_archive_rolls_back(kit: Any) -> None:
    with (
        running(version="7.21", delays=FAST) as sim,
        Router(sim.url, sim.user, sim.password) as router,
    ):
        sim.put_file("app.tar", _archive(good=True))
        sim.put_file("bad.tar", _archive(good=False))
        before = kit.snapshot(sim)
        spec = ContainerSpec(
            name="app", image="local/app:1", image_file="app.tar", ports=(PortMapping(8000, 8000),)
        )
        router.run(spec, poll=0.01)
        assert router.ps()[0].state == "running"
        router.rm("app", force=True)
        router.prune()
        bad = ContainerSpec(name="bad", image="local/app:1", image_file="bad.tar")
        with pytest.raises(Exception, match="exactly one layer"):
            router.run(bad, poll=0.01)
        after = kit.snapshot(sim)
        assert {k: v for k, v in after.items() if k != "container/config"} == {
            k: v for k, v in before.items() if k != "container/config"
        }
