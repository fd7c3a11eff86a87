"""The Python API: :class:`AsyncRouter` (one router, async) and :class:`Router` (blocking).

::

    async with AsyncRouter("http://192.168.88.1", "admin", password) as router:
        await router.run(ContainerSpec(name="web", image="nginx", ports=(PortMapping(8080, 80),)))
        print(await router.ps())

Many routers at once: open one :class:`AsyncRouter` each and ``asyncio.gather`` their calls.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from mikrodock.containers.query import ContainerInfo, describe, owner_of
from mikrodock.containers.state import ALL, MENUS, Reads, RouterState, read_state
from mikrodock.routeros.client import AsyncRouterClient
from mikrodock.routeros.dialect import Dialect
from mikrodock.routeros.loop import run_sync as _sync
from mikrodock.routeros.version import RouterOSVersion, parse_version

if TYPE_CHECKING:  # the rest is imported by the methods that use it: `ps` loads no deploy code
    from mikrodock.containers import housekeeping, output
    from mikrodock.containers.apply import Progress
    from mikrodock.containers.spec import ContainerSpec
    from mikrodock.containers.steps import Plan

__all__ = ["AsyncRouter", "Router", "RunResult"]

_PS_READS = Reads(
    skip=frozenset(MENUS) - {"containers", "nat", "veths"} | {"disks", "containers_allowed"}
)
"""What ``ps`` shows comes from the containers, their VETHs and the dst-nat rules only."""

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class RunResult:
    """What ``run`` made: the container's name, address, and the ids of created objects."""

    name: str
    address: str
    network: str
    created: dict[str, str]

    def to_json(self) -> dict[str, object]:
        return dataclasses.asdict(self)


class AsyncRouter:
    """Docker-like operations on one RouterOS router (async)."""

    def __init__(
        self,
        url: str | AsyncRouterClient,
        user: str = "admin",
        password: str = "",
        *,
        owns: bool = False,
        **client_options: Any,
    ) -> None:
        """``url`` is a router URL, or an open client (closed by :meth:`aclose` only when
        ``owns``, e.g. one made by :func:`mikrodock.routeros.connect.connect` for this router)."""
        if isinstance(url, AsyncRouterClient):
            self.ros, self._owns = url, owns
        else:
            self.ros, self._owns = AsyncRouterClient(url, user, password, **client_options), True
        self._dialect: Dialect | None = None
        self._version: RouterOSVersion | None = None

    async def __aenter__(self) -> AsyncRouter:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns:
            await self.ros.aclose()

    async def dialect(self) -> Dialect:
        if self._dialect is None:
            if self._version is None:
                resource = await self.ros.get("system/resource")
                self._version = parse_version(resource.get("version", ""))
            self._dialect = Dialect.for_version(self._version)
        return self._dialect

    async def state(self, reads: Reads = ALL) -> RouterState:
        """What the router holds (every menu of :data:`~mikrodock.containers.state.MENUS`
        unless ``reads`` says otherwise)."""
        state = await read_state(self.ros, reads)
        if state.version != self._version:  # the dialect is made when asked (ps never asks)
            self._version, self._dialect = state.version, None
        return state

    async def plan(self, spec: ContainerSpec) -> Plan:
        """The steps ``run`` would take (reads what the plan needs, changes nothing)."""
        from mikrodock.containers.plan import plan_run, reads_for

        return plan_run(spec, await self.state(reads_for(spec)))

    async def run(
        self,
        spec: ContainerSpec,
        *,
        timeout: float = 600.0,
        poll: float = 1.0,
        progress: Progress | None = None,
    ) -> RunResult:
        """Plan and apply; on any failure the router is left as it was. Other mikrodock
        processes may deploy to the same router at the same time (see ``retry.deploy``)."""
        from mikrodock.containers.retry import deploy

        plan, applied = await deploy(self.ros, spec, progress=progress, timeout=timeout, poll=poll)
        return RunResult(
            spec.name,
            plan.facts.get("address", ""),
            plan.facts.get("network", ""),
            dict(applied.ids),
        )

    async def ps(self, all: bool = False) -> list[ContainerInfo]:
        state = await self.state(_PS_READS)
        rows = [describe(c, state.nat, state.veths) for c in state.containers]
        return [r for r in rows if all or r.state in ("running", "starting")]

    async def inspect(self, name: str) -> dict[str, object]:
        from mikrodock.containers import lifecycle

        record = await lifecycle.find_record(self.ros, name)
        state = await self.state()
        info = describe(record, state.nat, state.veths)
        owned = await lifecycle.tagged_objects(self.ros, info.name) if owner_of(record) else {}
        return {"container": record, "summary": info.to_json(), "objects": owned}

    async def start(self, name: str, timeout: float = 60) -> None:
        """Start the container and return once RouterOS says it is no longer starting (like
        ``docker start``, which returns once the process runs)."""
        from mikrodock.containers import lifecycle
        from mikrodock.containers.apply import wait_for_state

        await lifecycle.start(self.ros, await self.dialect(), name)
        record = await lifecycle.find_record(self.ros, name)
        await wait_for_state(
            self.ros,
            record[".id"],
            lambda state: state != "starting",
            timeout=timeout,
            poll=0.2,
            what=f"starting {name}",
        )

    async def stop(self, name: str, timeout: float = 10) -> None:
        from mikrodock.containers import lifecycle

        await lifecycle.stop(self.ros, await self.dialect(), name, timeout=timeout)

    async def restart(self, name: str, timeout: float = 10) -> None:
        from mikrodock.containers import lifecycle

        await lifecycle.restart(self.ros, await self.dialect(), name, timeout=timeout)

    async def kill(self, name: str, signal: str = "KILL") -> None:
        from mikrodock.containers import lifecycle

        await lifecycle.kill(self.ros, await self.dialect(), name, signal)

    async def rm(self, name: str, force: bool = False) -> list[str]:
        from mikrodock.containers import lifecycle

        return await lifecycle.remove(self.ros, await self.dialect(), name, force=force)

    async def pull(self, name: str) -> None:
        from mikrodock.containers import lifecycle

        await lifecycle.pull(self.ros, await self.dialect(), name)

    async def stats(self, name: str) -> dict[str, str]:
        from mikrodock.containers import lifecycle

        return await lifecycle.stats(self.ros, name)

    async def logs(
        self, name: str, since: str | None = None, tail: int | None = None
    ) -> list[output.LogLine]:
        from mikrodock.containers import output

        return await output.read_logs(self.ros, name, since=since, tail=tail)

    def follow(
        self,
        name: str,
        since: str | None = None,
        tail: int | None = None,
        until_stopped: bool = False,
    ) -> AsyncIterator[output.LogLine]:
        from mikrodock.containers import output

        return output.follow_logs(
            self.ros, name, since=since, tail=tail, stop_when_stopped=until_stopped
        )

    async def exec(self, name: str, argv: Sequence[str]) -> output.ExecResult:
        from mikrodock.containers import output

        return await output.exec_command(self.ros, await self.dialect(), name, argv)

    async def network_create(
        self, name: str, subnet: str | None = None
    ) -> housekeeping.NetworkInfo:
        from mikrodock.containers import housekeeping

        return await housekeeping.create_network(self.ros, name, subnet)

    async def networks(self) -> list[housekeeping.NetworkInfo]:
        from mikrodock.containers import housekeeping

        return await housekeeping.list_networks(self.ros)

    async def network_rm(self, name: str) -> list[str]:
        from mikrodock.containers import housekeeping

        return await housekeeping.remove_network(self.ros, name)

    async def leftovers(self) -> list[housekeeping.Leftover]:
        from mikrodock.containers import housekeeping

        state = await self.state()
        apps = await housekeeping.apps_log_containers(self.ros, state.version)
        return housekeeping.leftovers(state, apps_logging=apps)

    async def prune(self, items: list[housekeeping.Leftover] | None = None) -> list[str]:
        from mikrodock.containers import housekeeping

        chosen = items if items is not None else await self.leftovers()
        return await housekeeping.prune(self.ros, chosen)


class Router:
    """The blocking facade of :class:`AsyncRouter`: same methods, same arguments."""

    def __init__(
        self, url: str, user: str = "admin", password: str = "", **client_options: Any
    ) -> None:
        async def open_core() -> AsyncRouter:
            return AsyncRouter(url, user, password, **client_options)

        self._core = _sync(open_core())

    def __enter__(self) -> Router:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        _sync(self._core.aclose())

    def run(self, spec: ContainerSpec, **options: Any) -> RunResult:
        return _sync(self._core.run(spec, **options))

    def plan(self, spec: ContainerSpec) -> Plan:
        return _sync(self._core.plan(spec))

    def ps(self, all: bool = False) -> list[ContainerInfo]:
        return _sync(self._core.ps(all))

    def inspect(self, name: str) -> dict[str, object]:
        return _sync(self._core.inspect(name))

    def start(self, name: str) -> None:
        _sync(self._core.start(name))

    def stop(self, name: str, timeout: float = 10) -> None:
        _sync(self._core.stop(name, timeout))

    def restart(self, name: str, timeout: float = 10) -> None:
        _sync(self._core.restart(name, timeout))

    def kill(self, name: str, signal: str = "KILL") -> None:
        _sync(self._core.kill(name, signal))

    def rm(self, name: str, force: bool = False) -> list[str]:
        return _sync(self._core.rm(name, force))

    def pull(self, name: str) -> None:
        _sync(self._core.pull(name))

    def stats(self, name: str) -> dict[str, str]:
        return _sync(self._core.stats(name))

    def logs(
        self, name: str, since: str | None = None, tail: int | None = None
    ) -> list[output.LogLine]:
        return _sync(self._core.logs(name, since, tail))

    def exec(self, name: str, argv: Sequence[str]) -> output.ExecResult:
        return _sync(self._core.exec(name, argv))

    def network_create(self, name: str, subnet: str | None = None) -> housekeeping.NetworkInfo:
        return _sync(self._core.network_create(name, subnet))

    def networks(self) -> list[housekeeping.NetworkInfo]:
        return _sync(self._core.networks())

    def network_rm(self, name: str) -> list[str]:
        return _sync(self._core.network_rm(name))

    def leftovers(self) -> list[housekeeping.Leftover]:
        return _sync(self._core.leftovers())

    def prune(self, items: list[housekeeping.Leftover] | None = None) -> list[str]:
        return _sync(self._core.prune(items))
