"""A failed deploy leaves the router as it was: a failure injected at every step of a full
``run -p -e -v --restart --memory`` (and a cancellation mid-apply) is rolled back completely,
and objects a user made by hand are never touched."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mikrodock.containers.router import AsyncRouter
from mikrodock.containers.steps import Step
from mikrodock.errors import MikrodockError, RouterError
from mikrodock.sim import Delays, running

SIM_VERSIONS = ["7.15", "7.19", "7.20", "7.21", "7.22", "7.23", "7.24"]
FAST = Delays(extract=0.05, start=0.01, stop=0.02)


def _fault_for(steps: list[Step], index: int) -> tuple[str, str, int, int]:
    """(method, path pattern, nth, times) that makes step ``index`` fail."""
    step = steps[index]
    if step.action == "wait":  # a read: fail more often than the client retries
        return "GET", "/rest/container/[*]*", 1, 3  # the client tries a read 3 times
    if step.action == "add":
        path = f"/rest/{step.menu}"
    elif step.action == "set":
        path = f"/rest/{step.menu}/set"
    else:
        path = f"/rest/{step.menu}/{step.command}"
    nth = 1 + sum(1 for s in steps[:index] if s.method == step.method and _path(s) == path)
    return step.method, path, nth, 1


def _path(step: Step) -> str:
    if step.action == "add":
        return f"/rest/{step.menu}"
    if step.action == "set":
        return f"/rest/{step.menu}/set"
    return f"/rest/{step.menu}/{step.command}"


@pytest.mark.parametrize("version", SIM_VERSIONS)
def test_failure_at_every_step_rolls_back_everything(version: str, kit: Any) -> None:
    spec = kit.full_run_spec(version)
    with running(version=version, delays=FAST) as sim:
        kit.seed_hand_made(sim, version)
        before = kit.snapshot(sim)

        async def plan() -> list[Step]:
            async with AsyncRouter(sim.url, sim.user, sim.password) as router:
                return list((await router.plan(spec)).steps)

        steps = asyncio.run(plan())
        assert len(steps) >= 10
        for index, step in enumerate(steps):
            method, path, nth, times = _fault_for(steps, index)
            sim.clear_faults()
            sim.add_fault(method, path, nth=nth, kind="error500", times=times)

            async def deploy() -> None:
                async with AsyncRouter(sim.url, sim.user, sim.password) as router:
                    await router.run(spec, poll=0.01, timeout=5)

            with pytest.raises(MikrodockError) as caught:
                asyncio.run(deploy())
            sim.clear_faults()
            error: Any = caught.value
            if isinstance(error, RouterError):
                assert error.status == 500  # RouterOS's error (detail) is what the user sees
            assert "rolled back" in (error.hint or ""), (step.why, error.one_line())
            assert kit.snapshot(sim) == before, (
                f"{version}: after a failure at step {index}: {step.why}"
            )


@pytest.mark.parametrize("version", ["7.19", "7.23"])
def test_cancelled_apply_rolls_back(version: str, kit: Any) -> None:
    """Ctrl-C (task cancellation) while waiting for the image undoes everything."""
    spec = kit.full_run_spec(version)
    with running(version=version, delays=Delays(extract=30, start=0.01, stop=0.02)) as sim:
        kit.seed_hand_made(sim, version)
        before = kit.snapshot(sim)

        async def deploy_then_cancel() -> None:
            async with AsyncRouter(sim.url, sim.user, sim.password) as router:
                task = asyncio.create_task(router.run(spec, poll=0.01, timeout=60))
                while not any(i.get("comment") == "mikrodock:web" for i in sim.items("container")):
                    await asyncio.sleep(0.01)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task

        asyncio.run(deploy_then_cancel())
        assert kit.snapshot(sim) == before


@pytest.mark.parametrize("version", SIM_VERSIONS)
def test_run_then_rm_and_prune_touch_only_tagged_objects(version: str, kit: Any) -> None:
    spec = kit.full_run_spec(version)
    with running(version=version, delays=FAST) as sim:
        kit.seed_hand_made(sim, version)
        before = kit.snapshot(sim)

        async def lifecycle() -> None:
            async with AsyncRouter(sim.url, sim.user, sim.password) as router:
                await router.run(spec, poll=0.01)
                assert [c.name for c in await router.ps(all=True)] == ["web"]
                with pytest.raises(MikrodockError, match="is running"):
                    await router.rm("web")
                await router.rm("web", force=True)
                leftovers = await router.leftovers()
                assert all(
                    item.comment.startswith("mikrodock:net:") or item.menu == "system/logging"
                    for item in leftovers
                ), leftovers
                await router.prune(leftovers)
                assert await router.leftovers() == []

        asyncio.run(lifecycle())
        after = kit.snapshot(sim)
        config = ("container/config",)  # registry-url stays as the image needed it
        assert {k: v for k, v in after.items() if k not in config} == {
            k: v for k, v in before.items() if k not in config
        }
