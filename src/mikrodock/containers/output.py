"""What containers say: ``logs`` (from ``/log``, topic ``container``) and ``exec``.

RouterOS logs a container's output under topics ``container,...`` as ``NAME: LINE`` (only while
a ``/system/logging`` rule keeps topic ``container``). ``exec`` runs one command through
``/container/shell cmd=`` (7.20+), which hands it to ``sh -c``: the argv is quoted for sh so that
what the user typed is what runs. RouterOS answers with the output only, so the command is
followed by ``echo MARKER$?`` and its exit status read back from the end of the output.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import shlex
import time
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mikrodock.containers.lifecycle import find_record, tagged_objects
from mikrodock.containers.query import container_name, container_state
from mikrodock.containers.unsupported import require_arg
from mikrodock.errors import UsageError
from mikrodock.routeros.dialect import Dialect

if TYPE_CHECKING:
    from mikrodock.routeros.client import AsyncRouterClient

__all__ = [
    "ExecResult",
    "LogLine",
    "exec_command",
    "follow_logs",
    "log_lines",
    "log_name",
    "parse_tail",
    "read_logs",
]


@dataclass(frozen=True)
class LogLine:
    id: str
    time: str
    message: str

    def text(self, timestamps: bool = False) -> str:
        return f"{self.time} {self.message}" if timestamps else self.message


_COUNT = re.compile(r"[0-9]+")


def parse_tail(text: str | None, flag: str = "--tail") -> int | None:
    """``--tail`` as typed: a number of lines (0 or more), or ``all``; None means every line."""
    if text is None or text.strip().lower() == "all":
        return None
    value = text.strip()
    if _COUNT.fullmatch(value):
        return int(value)
    problem = "is negative" if value.startswith("-") else "is not a number of lines"
    raise UsageError(
        f"{flag} {text!r} {problem}",
        hint=f"give {flag} N (0 or more lines from the end) or {flag} all",
    )


def _since_cutoff(since: str | None) -> datetime | None:
    if not since:
        return None
    from mikrodock.routeros.values import parse_duration

    try:
        return datetime.fromtimestamp(time.time() - parse_duration(since))
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(since)
    except ValueError:
        raise UsageError(
            f"invalid --since {since!r}", hint="give 10m, 1h or 2026-01-02T10:00"
        ) from None


def _entry_time(text: str) -> datetime | None:
    for fmt in ("%Y-%m-%d %H:%M:%S", "%H:%M:%S"):
        try:
            stamp = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if fmt == "%H:%M:%S":
            today = datetime.now()
            stamp = stamp.replace(year=today.year, month=today.month, day=today.day)
        return stamp
    return None


def _id_number(item: str) -> int:
    try:
        return int(item.lstrip("*"), 16)
    except ValueError:
        return -1


def _log_name(record: dict[str, str]) -> str:
    """The name RouterOS writes before a container's log lines (its own, possibly generated)."""
    return record.get("name") or container_name(record)


def _lines(records: Sequence[dict[str, str]], name: str, after: int = -1) -> list[LogLine]:
    prefix = f"{name}: "
    out = []
    for record in records:
        if "container" not in record.get("topics", "").split(","):
            continue
        message = record.get("message", "")
        if not message.startswith(prefix) or _id_number(record.get(".id", "")) <= after:
            continue
        out.append(LogLine(record.get(".id", ""), record.get("time", ""), message[len(prefix) :]))
    return out


def log_lines(records: Sequence[dict[str, str]], name: str, after: int = -1) -> list[LogLine]:
    """The lines of the container whose log name is ``name`` among ``/log`` records, those
    with an id above ``after`` (see :func:`log_name`)."""
    return _lines(records, name, after)


async def log_name(ros: AsyncRouterClient, name: str) -> str:
    """The name RouterOS writes before the lines of the container called ``name``."""
    return _log_name(await find_record(ros, name))


async def read_logs(
    ros: AsyncRouterClient, name: str, *, since: str | None = None, tail: int | None = None
) -> list[LogLine]:
    """This container's lines in the router's log (oldest first)."""
    record = await find_record(ros, name)
    lines = _lines(await ros.print("log"), _log_name(record))
    cutoff = _since_cutoff(since)
    if cutoff is not None:
        lines = [ln for ln in lines if (_entry_time(ln.time) or cutoff) >= cutoff]
    if tail is not None:
        lines = lines[-tail:] if tail > 0 else []
    return lines


async def follow_logs(
    ros: AsyncRouterClient,
    name: str,
    *,
    since: str | None = None,
    tail: int | None = None,
    poll: float = 1.0,
    stop_when_stopped: bool = False,
) -> AsyncIterator[LogLine]:
    """The existing lines, then new ones as they come: the client streams ``/log`` (RouterOS's
    own stream over the API protocol, looks every ``poll`` seconds over REST). With
    ``stop_when_stopped`` the container's record is followed too, and once it has stopped the
    lines logged until then end the stream."""
    last = -1
    for line in await read_logs(ros, name, since=since, tail=tail):
        last = max(last, _id_number(line.id))
        yield line
    record = await find_record(ros, name)
    real = _log_name(record)
    streams = {"log": ros.follow("log", poll=poll)}
    if stop_when_stopped:
        streams["state"] = ros.follow("container", record[".id"], poll=poll)
    async with _merged(streams) as changes:
        async for kind, change in changes:
            if kind == "state" and container_state(change) not in ("stopped", "error"):
                continue
            news = _lines(await ros.print("log") if kind == "state" else [change], real, last)
            for line in news:
                last = max(last, _id_number(line.id))
                yield line
            if kind == "state":
                return


@contextlib.asynccontextmanager
async def _merged(
    streams: dict[str, AsyncGenerator[dict[str, str], None]],
) -> AsyncIterator[AsyncGenerator[tuple[str, dict[str, str]], None]]:
    """``(name, item)`` from several streams as each comes; every stream closed at the end."""
    pending: dict[asyncio.Task[dict[str, str]], str] = {}

    def ask(key: str) -> None:
        pending[asyncio.ensure_future(anext(streams[key]))] = key

    async def items() -> AsyncGenerator[tuple[str, dict[str, str]], None]:
        for key in streams:
            ask(key)
        while pending:
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                key = pending.pop(task)
                try:
                    item = task.result()
                except StopAsyncIteration:
                    continue
                yield key, item
                ask(key)

    merged = items()
    try:
        yield merged
    finally:
        await merged.aclose()
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for stream in streams.values():
            await stream.aclose()


def _output(answer: Any) -> str | None:
    if isinstance(answer, dict):
        value = answer.get("ret", answer.get("output"))
        return None if value is None else str(value)
    if isinstance(answer, list) and answer and isinstance(answer[0], dict):
        return _output(answer[0])
    return None


_PROBE = "mikrodock-exec-probe"


async def _writable_mount(ros: AsyncRouterClient, record: dict[str, str]) -> tuple[str, str] | None:
    """(router path, container path) of a writable mount of the container, if it has one."""
    inline = dict(part.split("=", 1) for part in record.get("mount", "").split(",") if "=" in part)
    if inline.get("src") and inline.get("dst"):
        return inline["src"], inline["dst"]
    mounts = (await tagged_objects(ros, container_name(record))).get("container/mounts", [])
    for mount in mounts:
        if mount.get("read-only") != "true" and mount.get("mode") != "ro":
            return mount.get("src", ""), mount.get("dst", "")
    return None


@dataclass(frozen=True)
class ExecResult:
    """What ``exec`` gives back: the command's output and its exit status (``None`` when the
    command ended the shell itself, as ``exit 3`` does, so no status came back)."""

    exit_code: int | None
    output: str


def _split_status(text: str, marker: str) -> ExecResult:
    at = text.rfind(marker)
    if at < 0:
        return ExecResult(None, text)
    digits = re.match(r"[0-9]{1,3}", text[at + len(marker) :])
    output = text[:at]
    return ExecResult(int(digits.group()) if digits else None, output.removesuffix("\n"))


async def exec_command(
    ros: AsyncRouterClient, dialect: Dialect, name: str, argv: Sequence[str]
) -> ExecResult:
    """Run ``argv`` once in the running container; return its output and exit status.

    Where this router's REST answer carries no output (found with a harmless probe first), the
    command's output goes to a file on one of the container's writable mounts, which is read
    back from ``/file`` and removed."""
    require_arg(dialect, "container", "shell", "cmd", "exec")
    if not argv:
        raise UsageError("exec needs a command", hint="e.g. mikrodock exec web ls /")
    record = await find_record(ros, name)
    state = container_state(record)
    if state not in ("running", "unknown"):
        raise UsageError(
            f"container {name} is not running (it is {state})",
            hint=f"start it first: mikrodock start {name}",
        )
    item = {dialect.item_arg("container", "shell") or "number": record[".id"]}
    command = shlex.join(argv)
    marker = f"mikrodock-exit-{secrets.token_hex(4)}:"
    probe = _output(await ros.command("container", "shell", {**item, "cmd": f"echo {_PROBE}"}))
    if probe is not None and _PROBE in probe:
        wrapped = f"{command}; echo {marker}$?"
        answer = await ros.command("container", "shell", {**item, "cmd": wrapped})
        return _split_status(_output(answer) or "", marker)
    mount = await _writable_mount(ros, record)
    if mount is None:
        raise UsageError(
            "this RouterOS answers /container/shell without the output, and the container has "
            "no writable mount to send it to",
            hint=f"run it with a volume (-v disk1/{name}:/mnt), then exec again",
        )
    src, dst = mount
    spool = f".mikrodock-exec-{secrets.token_hex(4)}"
    target = shlex.quote(f"{dst.rstrip('/')}/{spool}")
    wrapped = f"( {command} ) > {target} 2>&1; echo {marker}$? >> {target}"
    await ros.command("container", "shell", {**item, "cmd": wrapped})
    found = await ros.print("file", where={"name": f"{src.strip('/')}/{spool}"})
    if not found:
        return ExecResult(None, "")
    await ros.remove("file", found[0][".id"])
    return _split_status(found[0].get("contents", ""), marker)
