"""The RouterOS API protocol (8728, and 8729 over TLS) on the simulated router.

One :class:`ApiSession` per connection. Every command runs as its own task, so several tagged
commands can be in flight on one connection; replies carry the command's ``.tag``. Commands
are mapped onto the same model the REST side uses (:class:`~mikrodock.sim.rest.Rest`), so an
object added over REST is seen over the API and the other way round.

What RouterOS answers, and where that is documented (see docs/SIM.md):

* ``/login =name= =password=`` (6.43+); a wrong one: ``!trap =message=invalid user name or
  password (6)``, ``!done``, then the connection is closed;
* a command before login: ``!trap =message=not logged in``;
* an unknown command: ``!trap =category=0 =message=no such command or directory (x)``;
* a missing item: ``!trap =message=no such item``;
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
from typing import Any

from mikrodock.routeros.api_codec import (
    Command,
    ProtocolError,
    Reply,
    SentenceReader,
    encode_sentence,
    parse_command,
    reply_words,
)
from mikrodock.routeros.api_query import matches
from mikrodock.sim.faults import FaultSet
from mikrodock.sim.rest import Rest

__all__ = ["ApiServer", "ApiSession", "start_api_server"]

log = logging.getLogger(__name__)

POLL = 0.2
"""Seconds between looks at the model for ``follow`` and ``listen`` streams."""
MAX_WORD = 16 * 1024 * 1024

_READS = ("print", "getall")


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
        rest: Rest,
        faults: FaultSet,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.rest, self.faults = rest, faults
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
            return await self._login(command)
        if path == "/quit":
            self.send(Reply("!fatal", {"message": "session terminated on request"}))
            await self.close()
            return []
        if self.user is None:
            raise _Trap("not logged in")
        await self._faults(command)
        if path == "/cancel":
            return await self._cancel(command)
        menu, name = command.menu, command.command
        if not menu and name != "execute":
            raise _Trap(f"no such command or directory ({name})", 0)
        if name in _READS:
            return await self._print(command)
        if name == "listen":
            await self._stream(command, listen=True)
            return []
        if name == "add":
            item = await self._rest("PUT", menu, dict(command.attrs))
            return [Reply("!done", {"ret": str(item.get(".id", ""))})]
        if name in ("set", "remove"):
            return await self._change(command)
        if name == "get":
            return await self._get(command)
        if name == "execute":
            out = await self._rest("POST", "execute", {**command.attrs, "as-string": ""})
            return [Reply("!done", {"ret": str(out.get("ret", ""))})]
        answer = await self._rest("POST", f"{menu}/{name}", dict(command.attrs))
        return _answer_replies(answer)

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
        if name is not None and self.rest.router.check_login(name, password):
            self.user = name
            return [Reply("!done")]
        self.send(Reply("!trap", {"message": "invalid user name or password (6)"}), command.tag)
        self.send(Reply("!done"), command.tag)
        await self.close()
        return []

    async def _cancel(self, command: Command) -> list[Reply]:
        wanted = command.attrs.get("tag")
        for tag, task in list(self.tasks.items()):
            if wanted is None or tag == wanted:
                task.cancel()
        return [Reply("!done")]

    async def _rest(self, method: str, path: str, body: Any = None) -> Any:
        reply = await self.rest.handle(method, path, {}, body)
        if reply.status >= 400:
            raise _trap_of(reply.status, reply.body)
        return reply.body if reply.body is not None else {}

    async def _records(self, menu: str) -> list[dict[str, str]]:
        body = await self._rest("GET", menu)
        return [body] if isinstance(body, dict) else list(body or [])

    async def _print(self, command: Command) -> list[Reply]:
        attrs = command.attrs
        if "follow" in attrs or "follow-only" in attrs:
            await self._stream(command, listen=False, only_new="follow-only" in attrs)
            return []
        chosen = [r for r in await self._records(command.menu) if matches(command.queries, r)]
        if "count-only" in attrs:
            return [Reply("!done", {"ret": str(len(chosen))})]
        replies = [Reply("!re", _proplist(r, command.proplist)) for r in chosen]
        if not replies and self.rest.router.version.series >= (7, 18):
            replies.append(Reply("!empty"))
        return [*replies, Reply("!done")]

    async def _change(self, command: Command) -> list[Reply]:
        attrs = dict(command.attrs)
        ids = attrs.pop(".id", None) or attrs.pop("numbers", None)
        menu = command.menu
        if ids is None:
            if command.command == "remove":
                raise _Trap("expected .id or numbers", 1)
            await self._rest("PATCH", menu, attrs)
            return [Reply("!done")]
        for item in ids.split(","):
            if command.command == "set":
                await self._rest("PATCH", f"{menu}/{item}", attrs)
            else:
                await self._rest("DELETE", f"{menu}/{item}")
        return [Reply("!done")]

    async def _get(self, command: Command) -> list[Reply]:
        attrs = command.attrs
        item = attrs.get(".id") or attrs.get("number")
        record = await self._rest("GET", command.menu if item is None else f"{command.menu}/{item}")
        name = attrs.get("value-name")
        if name is None:
            return [Reply("!re", dict(record)), Reply("!done")]
        if name not in record:
            raise _Trap(f"no such property ({name})", 0)
        return [Reply("!done", {"ret": str(record[name])})]

    async def _stream(self, command: Command, *, listen: bool, only_new: bool = False) -> None:
        """``follow``/``follow-only``/``listen``: answer changes until ``/cancel``."""
        tag = command.tag
        self.tasks[tag] = asyncio.current_task()  # type: ignore[assignment]
        try:
            seen: dict[str, dict[str, str]] = {}
            quiet = listen or only_new  # the first look only sets what counts as known
            while True:
                records = [
                    r for r in await self._records(command.menu) if matches(command.queries, r)
                ]
                now = {r.get(".id", str(i)): r for i, r in enumerate(records)}
                if not quiet:
                    for key, record in now.items():
                        if seen.get(key) != record:
                            self.send(Reply("!re", _proplist(record, command.proplist)), tag)
                    if listen:
                        for key in seen.keys() - now.keys():
                            self.send(Reply("!re", {".id": key, ".dead": "true"}), tag)
                seen, quiet = now, False
                await asyncio.sleep(POLL)
        except asyncio.CancelledError:
            self.send(Reply("!trap", {"category": "2", "message": "interrupted"}), tag)
            self.send(Reply("!done"), tag)
        finally:
            self.tasks.pop(tag, None)


def _proplist(record: dict[str, Any], proplist: list[str] | None) -> dict[str, str]:
    if proplist is None:
        return {k: str(v) for k, v in record.items()}
    return {k: str(record[k]) for k in proplist if k in record}


def _answer_replies(answer: Any) -> list[Reply]:
    if isinstance(answer, list):
        return [*(Reply("!re", _proplist(r, None)) for r in answer if isinstance(r, dict)),
                Reply("!done")]  # fmt: skip
    if isinstance(answer, dict) and set(answer) <= {"ret"}:
        return [Reply("!done", {k: str(v) for k, v in answer.items()})]
    if isinstance(answer, dict):
        return [Reply("!re", _proplist(answer, None)), Reply("!done")]
    return [Reply("!done")]


def _trap_of(status: int, body: Any) -> _Trap:
    """A REST error as the API says it."""
    detail = body.get("detail") if isinstance(body, dict) else None
    message = body.get("message") if isinstance(body, dict) else None
    if status == 404:
        return _Trap("no such item", 0)
    text = str(detail or message or f"error {status}")
    category = 0 if text.startswith("no such command") else None
    if status >= 500:
        category = 4
    return _Trap(text, category)


async def start_api_server(
    rest: Rest,
    faults: FaultSet,
    sock: Any,
    tls: ssl.SSLContext | None = None,
) -> ApiServer:
    """Serve the API on the bound, listening socket ``sock`` (on the running loop)."""
    server = ApiServer()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server.writers.add(writer)
        try:
            await ApiSession(rest, faults, reader, writer).serve()
        finally:
            server.writers.discard(writer)

    server.server = await asyncio.start_server(on_connect, sock=sock, ssl=tls, limit=MAX_WORD)
    return server


class ApiServer:
    """A listening API server and its open connections."""

    def __init__(self) -> None:
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    def close(self) -> None:
        """Stop listening and cut every connection."""
        if self.server is not None:
            self.server.close()
        for writer in list(self.writers):
            writer.transport.abort()
