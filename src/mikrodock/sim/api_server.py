"""The RouterOS API protocol (8728, and 8729 over TLS) on the simulated router.

One :class:`ApiSession` per connection. Every command runs as its own task, so several tagged
commands can be in flight on one connection; replies carry the command's ``.tag``. Commands
go straight to the router's protocol-neutral core, :meth:`SimRouter.call(path, command, args)
<mikrodock.sim.router.SimRouter.call>`, the same core the REST side maps onto, so an object
added over REST is seen over the API and the other way round. The API's own parts stay here:
login, tags, ``?`` query words (:mod:`mikrodock.routeros.api_query`), ``=.proplist=``,
``count-only``, ``!empty``, the streams and ``/cancel``; a :class:`SimError` of the core becomes
a ``!trap`` with RouterOS's ``category``.

What RouterOS answers, and where that is documented (see docs/SIM.md):

* ``/login =name= =password=`` (6.43+); a wrong one: ``!trap =message=invalid user name or
  password (6)``, ``!done``, then the connection is closed;
* a command before login: ``!trap =message=not logged in``;
* an unknown command: ``!trap =category=0 =message=no such command or directory (x)``;
* a missing item: ``!trap =category=0 =message=no such item``;
* a bad argument (``unknown parameter x``, ``missing =x=``, ``input does not match any value of
  x``, out of range): ``!trap =category=1``; a ``failure: ...``: ``!trap =category=4``;
* ``/cancel =tag=N``: the cancelled command ends with ``!trap =category=2
  =message=interrupted`` and ``!done``; ``/cancel`` itself with ``!done``;
* ``print`` that finds nothing: ``!empty`` then ``!done`` from 7.18 on;
* ``/quit``, or bytes that are not the protocol: ``!fatal`` with the reason, then close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mikrodock.routeros.api_codec import (
    Command,
    ProtocolError,
    Reply,
    SentenceReader,
    encode_sentence,
    parse_command,
    reply_words,
)
from mikrodock.routeros.api_query import QueryError, apply_proplist, compile_query
from mikrodock.sim import script
from mikrodock.sim.base import SimError, to_text
from mikrodock.sim.faults import FaultSet

if TYPE_CHECKING:
    from mikrodock.sim.router import SimRouter

__all__ = ["ApiServer", "ApiSession", "start_api_server"]

log = logging.getLogger(__name__)

POLL = 0.05
"""Seconds between looks at the model for ``follow`` and ``listen`` streams (RouterOS sends a
change at once; a short look keeps a client waiting on one about as briefly)."""
MAX_WORD = 16 * 1024 * 1024

_READS = ("print", "getall")
_API_ONLY = frozenset({"count-only", "follow", "follow-only", ".proplist", ".id"})
"""print arguments the API side handles itself (the core sees the rest, and checks them)."""


class _Trap(Exception):
    def __init__(self, message: str, category: int | None = None) -> None:
        super().__init__(message)
        self.message, self.category = message, category

    def reply(self) -> Reply:
        attrs = {} if self.category is None else {"category": str(self.category)}
        attrs["message"] = self.message
        return Reply("!trap", attrs)


class _Drop(Exception):
    """A fault says: close the connection without an answer."""


class ApiSession:
    """One API connection."""

    def __init__(
        self,
        server: ApiServer,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.server = server
        self.router, self.faults = server.router, server.faults
        self.reader, self.writer = reader, writer
        self.user: str | None = None
        self.tasks: dict[str | None, asyncio.Task[None]] = {}
        self.running: set[asyncio.Task[None]] = set()

    # -- the connection --------------------------------------------------------------------
    async def serve(self) -> None:
        stream = SentenceReader(max_word=MAX_WORD)
        try:
            while not self.writer.is_closing():
                data = await self.reader.read(65536)
                if not data:
                    break  # closed, or half-closed: nothing more will come
                for words in stream.feed(data):
                    if words:  # an empty sentence is a keep-alive
                        self._start(words)
        except ProtocolError as error:
            self.send(Reply("!fatal", {"message": str(error)}))
        except (ConnectionError, OSError):
            pass
        finally:
            for task in list(self.running):
                task.cancel()
            await self.close()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()
            await asyncio.wait_for(self.writer.wait_closed(), 1)

    def send(self, reply: Reply, tag: str | None = None) -> None:
        if tag is not None:
            reply = Reply(reply.kind, reply.attrs, tag)
        if not self.writer.is_closing():
            self.writer.write(encode_sentence(reply_words(reply)))

    def _start(self, words: list[str]) -> None:
        task = asyncio.ensure_future(self._one(words))
        self.running.add(task)
        task.add_done_callback(self.running.discard)

    async def _one(self, words: list[str]) -> None:
        tag: str | None = None
        try:
            command = parse_command(words)
            tag = command.tag
            for reply in await self._dispatch(command):
                self.send(reply, tag)
        except _Trap as trap:
            self.send(trap.reply(), tag)
            self.send(Reply("!done"), tag)
        except ProtocolError as error:
            self.send(_Trap(str(error), 5).reply(), tag)
            self.send(Reply("!done"), tag)
        except _Drop:
            self.writer.transport.abort()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a bug in the simulator: say so, keep serving
            log.exception("API command %s failed", words[:1])
            self.send(_Trap(f"simulator error: {error}", 4).reply(), tag)
            self.send(Reply("!done"), tag)

    # -- commands --------------------------------------------------------------------------
    async def _dispatch(self, command: Command) -> list[Reply]:
        path = command.path
        if path == "/login":
            self.faults.note("API", path)
            return await self._login(command)
        if path == "/quit":
            self.send(Reply("!fatal", {"message": "session terminated on request"}))
            await self.close()
            return []
        if self.user is None:
            raise _Trap("not logged in")
        await self._faults(command)
        if path == "/cancel":
            return self._cancel(command)
        menu, name = command.menu, command.command
        if name == "execute" and not menu:
            return await self._execute(command)
        if not menu:
            raise _Trap(f"no such command or directory ({name})", 0)
        if name in _READS:
            return await self._print(command)
        if name == "listen":
            await self._stream(command, listen=True)
            return []
        if name == "get" and "value-name" not in command.attrs:
            return await self._get_record(command)
        return _answer_replies(await self._call(command.menu, name, command.attrs))

    async def _call(self, menu: str, name: str, args: dict[str, str]) -> Any:
        """One command on the router's core; a refusal as the API says it."""
        try:
            return await self.router.call(_path(menu), name, args)
        except SimError as error:
            raise _trap_of(error, name) from None

    async def _faults(self, command: Command) -> None:
        for fault in self.faults.check("API", command.path):
            if fault.kind == "latency":
                await asyncio.sleep(fault.seconds)
            elif fault.kind == "drop":
                raise _Drop
            else:
                raise _Trap("simulated fault", 4)

    async def _login(self, command: Command) -> list[Reply]:
        name = command.attrs.get("name")
        password = command.attrs.get("password", "")
        if name is not None and self.router.check_login(name, password):
            self.user = name
            return [Reply("!done")]
        self.send(Reply("!trap", {"message": "invalid user name or password (6)"}), command.tag)
        self.send(Reply("!done"), command.tag)
        await self.close()
        return []

    def _cancel(self, command: Command) -> list[Reply]:
        wanted = command.attrs.get("tag")
        for tag, task in list(self.tasks.items()):
            if wanted is None or tag == wanted:
                task.cancel()
        return [Reply("!done")]

    async def _execute(self, command: Command) -> list[Reply]:
        """``/execute =script=``: with ``=as-string=`` its output, else a job id."""
        self.router.advance()
        try:
            output = await script.run(self.router.engine, command.attrs.get("script", ""))
        except SimError as error:
            raise _trap_of(error, "execute") from None
        finally:
            self.router.state.save_if_dirty()
        if "as-string" in command.attrs:
            return [Reply("!done", {"ret": output})]
        self.server.jobs += 1
        return [Reply("!done", {"ret": f"*{self.server.jobs:X}"})]

    async def _records(self, command: Command, args: dict[str, str]) -> list[dict[str, str]]:
        """What ``print`` shows of the command's menu, filtered by its query words."""
        found = await self._call(command.menu, "print", args)
        rows = [found] if isinstance(found, dict) else list(found or [])
        try:
            keep = compile_query(command.queries)
        except QueryError as error:
            raise _Trap(str(error), 5) from None
        return [text for text in map(_text, rows) if keep(text)]

    async def _print(self, command: Command) -> list[Reply]:
        attrs = command.attrs
        if "follow" in attrs or "follow-only" in attrs:
            await self._stream(command, listen=False, only_new="follow-only" in attrs)
            return []
        args = {k: v for k, v in attrs.items() if k not in _API_ONLY}
        chosen = await self._records(command, args)
        if "count-only" in attrs:
            return [Reply("!done", {"ret": str(len(chosen))})]
        replies = [Reply("!re", apply_proplist(r, command.proplist)) for r in chosen]
        if not replies and self.router.version.series >= (7, 18):
            replies.append(Reply("!empty"))
        return [*replies, Reply("!done")]

    async def _get_record(self, command: Command) -> list[Reply]:
        """``get`` without ``value-name``: the whole item (or the singleton) as one ``!re``."""
        key = command.attrs.get(".id") or command.attrs.get("number")
        records = await self._records(command, {})
        if key is not None:
            records = [r for r in records if key in (r.get(".id"), r.get("name"))]
            if not records:
                raise _Trap("no such item", 0)
        return [*(Reply("!re", r) for r in records[:1]), Reply("!done")]

    async def _stream(self, command: Command, *, listen: bool, only_new: bool = False) -> None:
        """``follow``/``follow-only``/``listen``: answer changes until ``/cancel``."""
        tag = command.tag
        self.tasks[tag] = asyncio.current_task()  # type: ignore[assignment]
        try:
            seen: dict[str, dict[str, str]] = {}
            quiet = listen or only_new  # the first look only sets what counts as known
            while True:
                records = await self._records(command, {})
                now = {r.get(".id", str(i)): r for i, r in enumerate(records)}
                if not quiet:
                    for key, record in now.items():
                        if seen.get(key) != record:
                            self.send(Reply("!re", apply_proplist(record, command.proplist)), tag)
                    for key in seen.keys() - now.keys():
                        self.send(Reply("!re", {".id": key, ".dead": "true"}), tag)
                seen, quiet = now, False
                await asyncio.sleep(POLL)
        except asyncio.CancelledError:
            self.send(Reply("!trap", {"category": "2", "message": "interrupted"}), tag)
            self.send(Reply("!done"), tag)
        finally:
            self.tasks.pop(tag, None)


def _path(menu: str) -> tuple[str, ...]:
    return tuple(part for part in menu.split("/") if part)


def _text(record: Mapping[str, Any]) -> dict[str, str]:
    return {k: v if isinstance(v, str) else to_text(v) for k, v in record.items()}


def _answer_replies(answer: Any) -> list[Reply]:
    """What a command's result looks like as sentences: rows as ``!re``, ``ret`` in ``!done``."""
    if isinstance(answer, list):
        return [*(Reply("!re", _text(r)) for r in answer if isinstance(r, dict)), Reply("!done")]
    if isinstance(answer, dict) and set(answer) <= {"ret"}:
        return [Reply("!done", _text(answer))]
    if isinstance(answer, dict):
        return [Reply("!re", _text(answer)), Reply("!done")]
    return [Reply("!done")]


# RouterOS's !trap categories (MikroTik API manual): 0 missing item or command, 1 argument
# value failure, 2 execution interrupted, 3 scripting failure, 4 general failure, 5 API
# failure. Which refusal gets which category is the simulator's reading of those names.
_ARGUMENT_FAILURES = (
    "unknown parameter",
    "missing =",
    "input does not match",
    "value of ",
    "invalid value",
    "invalid query",
    "expected ",
)


def _trap_of(error: SimError, command: str) -> _Trap:
    """A refusal of the router's core in the API's words."""
    detail = error.detail
    if error.status == 404 or detail == "no such item":
        return _Trap("no such item", 0)
    if detail == "no such command":
        return _Trap(f"no such command or directory ({command})", 0)
    if detail.startswith("no such command"):
        return _Trap(detail, 0)
    if detail.startswith(_ARGUMENT_FAILURES):
        return _Trap(detail, 1)
    if error.status >= 500:
        return _Trap(detail or error.message, 4)
    return _Trap(detail or error.message, 4 if detail.startswith("failure") else None)


async def start_api_server(
    router: SimRouter,
    faults: FaultSet,
    sock: Any,
    tls: ssl.SSLContext | None = None,
) -> ApiServer:
    """Serve the API for ``router`` on the bound, listening socket ``sock`` (on the running
    loop that serves the router's other requests)."""
    server = ApiServer(router, faults)

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server.writers.add(writer)
        try:
            await ApiSession(server, reader, writer).serve()
        finally:
            server.writers.discard(writer)

    server.server = await asyncio.start_server(on_connect, sock=sock, ssl=tls, limit=MAX_WORD)
    return server


class ApiServer:
    """A listening API server and its open connections."""

    def __init__(self, router: SimRouter, faults: FaultSet) -> None:
        self.router, self.faults = router, faults
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.jobs = 0
        """``/execute`` job ids handed out (a script run without ``as-string``)."""

    def close(self) -> None:
        """Stop listening and cut every connection."""
        if self.server is not None:
            self.server.close()
        for writer in list(self.writers):
            writer.transport.abort()
