"""The API-protocol transport of :class:`~mikrodock.routeros.client.AsyncRouterClient`
(``api://HOST[:8728]``, ``api-ssl://HOST[:8729]``).

One connection per client, logged in as RouterOS 6.43+ wants (``/login =name= =password=``).
Every command carries a ``.tag``; one reader task hands each reply to the command that waits
for it, so calls from many tasks share the connection. REST-style calls map onto sentences:
``print`` -> ``/menu/print`` (``?k=v`` queries, ``=.proplist=``), ``get`` -> ``print`` of one
``.id`` (or the singleton), ``add``/``set``/``remove`` -> the commands of the same names
(``=.id=``), any other command -> ``/menu/command``, ``execute`` -> ``/execute``.
A ``!trap`` becomes the same :class:`RouterError` as a REST error body (status 400, or 404 for
a missing item; message and detail), a dropped connection a :class:`ConnectionFailed` naming
the router. Reads are retried after a connection failure (on a new connection); writes never.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import ssl
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from typing import Any

from mikrodock.errors import AuthError, ConnectionFailed, NotFoundError, RouterError, UsageError
from mikrodock.routeros.api_codec import (
    ProtocolError,
    Reply,
    SentenceReader,
    command_words,
    encode_sentence,
    parse_reply,
)
from mikrodock.routeros.changes import is_dead
from mikrodock.routeros.retry import RetryPolicy
from mikrodock.routeros.tls import PinRefused
from mikrodock.routeros.wire import split_api_url, wire_props, wire_value

__all__ = ["ApiTransport", "split_api_url"]

log = logging.getLogger(__name__)


class ApiTransport:
    """The API protocol to one router."""

    def __init__(
        self,
        url: str,
        host: str,
        port: int,
        user: str,
        password: str,
        *,
        tls: ssl.SSLContext | None,
        connect_timeout: float,
        read_timeout: float,
        retry: RetryPolicy,
    ) -> None:
        self.url, self.host, self.port = url, host, port
        self._user, self._password, self._tls = user, password, tls
        if hasattr(tls, "refusal_as_ssl_error"):  # a pinning context: asyncio does the TLS
            setattr(tls, "refusal_as_ssl_error", True)  # noqa: B010
        self.connect_timeout, self.read_timeout, self.retry = connect_timeout, read_timeout, retry
        self._tags = itertools.count(1)
        # who waits for the replies of each tag: a command's collector, or a stream's queue
        self._waiting: dict[str, Callable[[Reply | BaseException], None]] = {}
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._opening: asyncio.Lock | None = None

    async def aclose(self) -> None:
        if self._reader_task is not None:
            self._reader_task.cancel()
            self._reader_task = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    # -- the connection --------------------------------------------------------------------
    async def _open(self) -> asyncio.StreamWriter:
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._writer is not None and not self._writer.is_closing():
                return self._writer
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(
                        self.host,
                        self.port,
                        ssl=self._tls,
                        server_hostname=self.host if self._tls else None,
                    ),
                    self.connect_timeout,
                )
            except TimeoutError as exc:
                raise self._failed(f"no connect within {self.connect_timeout:g} s", True) from exc
            except PinRefused as exc:  # a changed certificate, or a first use not accepted
                raise exc.error from None
            except ssl.SSLError as exc:  # asking again does not change a certificate
                failed = ConnectionFailed(
                    f"{self.url}: TLS handshake failed ({exc})",
                    hint="the router's certificate is not signed by a trusted CA: pass its CA "
                    "file, or trust it on first use (tls=pin / --tls-pin)",
                )
                failed.retryable = False  # type: ignore[attr-defined]
                raise failed from exc
            except OSError as exc:
                raise self._failed(f"cannot connect ({exc})", True) from exc
            self._writer = writer
            self._reader_task = asyncio.ensure_future(self._read(reader))
            replies = await self._exchange(
                writer, ["/login", f"=name={self._user}", f"=password={self._password}"], "/login"
            )
            trap = next((r for r in replies if r.kind == "!trap"), None)
            if trap is not None:
                await self.aclose()
                raise AuthError(
                    401,
                    "Unauthorized",
                    trap.message,
                    method="API",
                    path=f"{self.url} /login",
                    hint="check the user and password (and that the user may use the api policy)",
                )
            return writer

    async def _read(self, reader: asyncio.StreamReader) -> None:
        sentences = SentenceReader()
        error: BaseException = self._failed("connection lost", False)
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                for words in sentences.feed(data):
                    reply = parse_reply(words)
                    if reply.kind == "!fatal":
                        error = self._failed(
                            f"the router ended the session: {reply.message}", False
                        )
                        continue
                    put = self._waiting.get(reply.tag or "")
                    if put is not None:
                        put(reply)
        except (OSError, ProtocolError) as exc:
            error = self._failed(f"connection lost ({exc})", False)
        finally:
            self._writer = None
            for put in list(self._waiting.values()):
                put(error)

    def _failed(self, what: str, not_sent: bool) -> ConnectionFailed:
        hint = (
            f"check that the router is up and its api/api-ssl service listens at {self.url}"
            if not_sent
            else "the router stopped answering; a change may or may not have been applied"
        )
        return ConnectionFailed(f"{self.url}: {what}", hint=hint)

    async def _exchange(
        self, writer: asyncio.StreamWriter, words: list[str], what: str
    ) -> list[Reply]:
        tag = str(next(self._tags))
        loop = asyncio.get_running_loop()
        pending = _Collect(loop, self.read_timeout)
        self._waiting[tag] = pending.put
        try:
            writer.write(encode_sentence([*words, f".tag={tag}"]))
            return await pending.future
        except TimeoutError:
            raise ConnectionFailed(
                f"{what} on {self.url}: no answer within {self.read_timeout:g} s",
                hint="the router accepted the connection but did not answer: check its "
                "load and its api service, or allow longer with --timeout or "
                "MIKRODOCK_TIMEOUT",
            ) from None
        finally:
            pending.timer.cancel()
            self._waiting.pop(tag, None)

    async def call(self, words: list[str], *, read: bool) -> list[Reply]:
        """One command; its replies up to ``!done``. A ``!trap`` raises :class:`RouterError`."""
        delays = self.retry.delays()
        attempt = 0
        while True:
            attempt += 1
            try:
                writer = await self._open()
                replies = await self._exchange(writer, words, words[0])
                break
            except ConnectionFailed as exc:
                retryable = getattr(exc, "retryable", True) and "no answer" not in str(exc)
                delay = next(delays, None) if read and retryable else None
                if delay is None:
                    raise self._naming(exc, words[0], attempt, read=read) from exc
                log.warning("%s: %s; retrying in %.1f s (attempt %d of %d)", words[0], exc,
                            delay, attempt + 1, self.retry.attempts)  # fmt: skip
                await asyncio.sleep(delay)
        for reply in replies:
            if reply.kind == "!trap":
                raise _router_error(reply, words[0])
        return replies

    def _naming(
        self, exc: ConnectionFailed, command: str, attempts: int, *, read: bool
    ) -> ConnectionFailed:
        """The connection failure of ``command``, naming it as a REST failure names its request
        (``/container/add on api://HOST:PORT: connection lost``)."""
        text = str(exc)
        if not text.startswith(f"{self.url}:") or type(exc) is not ConnectionFailed:
            return exc  # names the command already, or is not about this connection
        where = f"{command} on {self.url}" + (f" ({attempts} attempts)" if attempts > 1 else "")
        hint = exc.hint
        if read and "may or may not" in (hint or ""):
            hint = "the router stopped answering; check it and try again"
        return ConnectionFailed(where + text[len(self.url) :], hint=hint)

    # -- REST-style calls ------------------------------------------------------------------
    async def print(
        self,
        menu: str,
        *,
        proplist: Sequence[str] | None = None,
        query: Sequence[str] | None = None,
        where: Mapping[str, object] | None = None,
    ) -> list[dict[str, str]]:
        queries = [f"{k}={wire_value(v)}" for k, v in (where or {}).items()]
        queries += list(query or [])
        words = command_words(f"/{menu.strip('/')}/print", queries=queries, proplist=proplist)
        return [r.attrs for r in await self.call(words, read=True) if r.kind == "!re"]

    async def get(self, menu: str, item_id: str | None = None) -> dict[str, str]:
        if item_id is None:
            found = await self.print(menu)
            if len(found) != 1:
                raise UsageError(f"/{menu.strip('/')} is a list menu, not a single object",
                                 hint="pass an item id, or use print() for all items")  # fmt: skip
            return found[0]
        found = await self.print(menu, where={_item_key(item_id): item_id})
        if not found:
            raise _missing(menu, item_id)
        return found[0]

    async def add(self, menu: str, props: Mapping[str, object]) -> dict[str, str]:
        words = command_words(f"/{menu.strip('/')}/add", wire_props(props))
        done = (await self.call(words, read=False))[-1]
        new_id = done.attrs.get("ret", "")
        return await self.get(menu, new_id) if new_id else {}

    async def set(self, menu: str, item_id: str, props: Mapping[str, object]) -> dict[str, str]:
        attrs = {".id": item_id, **wire_props(props)}
        await self.call(command_words(f"/{menu.strip('/')}/set", attrs), read=False)
        return await self.get(menu, item_id)

    async def remove(self, menu: str, item_id: str) -> None:
        words = command_words(f"/{menu.strip('/')}/remove", {".id": item_id})
        await self.call(words, read=False)

    async def command(
        self, menu: str, command: str, args: Mapping[str, object] | None = None
    ) -> Any:
        name = command.strip("/")
        words = command_words(f"/{menu.strip('/')}/{name}", wire_props(args))
        replies = await self.call(words, read=name in ("print", "get"))
        rows = [r.attrs for r in replies if r.kind == "!re"]
        done = replies[-1].attrs
        if rows:
            return rows
        return {"ret": done["ret"]} if "ret" in done else []

    async def follow(
        self, menu: str, item_id: str | None = None, *, only_new: bool = False
    ) -> AsyncGenerator[dict[str, str], None]:
        """RouterOS's own stream: ``/menu/print =follow=`` (``=follow-only=`` for ``only_new``;
        ``?.id=`` for one item) yields each record as it appears or changes, until the caller
        stops iterating, which sends ``/cancel`` for it. No read timeout: a quiet menu sends
        nothing. A removed ``item_id`` raises :class:`NotFoundError`, as a REST look would.
        A lost connection is a read's failure: the stream starts again on a new connection
        (with the records as they are then), as often as a read is retried."""
        path = f"/{menu.strip('/')}/print"
        queries = [] if item_id is None else [f"{_item_key(item_id)}={item_id}"]
        mode = "follow-only" if only_new else "follow"
        words = command_words(path, {mode: ""}, queries=queries)
        delays = self.retry.delays()
        attempt = 0
        while True:
            attempt += 1
            try:
                async with contextlib.aclosing(self._stream(words, menu, item_id)) as stream:
                    async for record in stream:
                        yield record
                return
            except ConnectionFailed as exc:
                delay = next(delays, None) if getattr(exc, "retryable", True) else None
                if delay is None:
                    raise self._naming(exc, path, attempt, read=True) from exc
                log.warning("%s: %s; following again in %.1f s (attempt %d of %d)", path, exc,
                            delay, attempt + 1, self.retry.attempts)  # fmt: skip
                await asyncio.sleep(delay)

    async def _stream(
        self, words: list[str], menu: str, item_id: str | None
    ) -> AsyncGenerator[dict[str, str], None]:
        writer = await self._open()
        tag = str(next(self._tags))
        queue: asyncio.Queue[Reply | BaseException] = asyncio.Queue()
        self._waiting[tag] = queue.put_nowait
        ended = False
        try:
            writer.write(encode_sentence([*words, f".tag={tag}"]))
            while True:
                item = await queue.get()
                if isinstance(item, BaseException):
                    ended = True
                    raise item
                if item.kind == "!re":
                    if item_id is not None and is_dead(item.attrs):
                        raise _missing(menu, item_id)
                    yield item.attrs
                elif item.kind == "!trap":
                    raise _router_error(item, words[0])
                elif item.kind == "!done":
                    ended = True
                    return
        finally:
            self._waiting.pop(tag, None)
            if not ended and self._writer is not None and not self._writer.is_closing():
                cancel = ["/cancel", f"=tag={tag}", f".tag={next(self._tags)}"]
                self._writer.write(encode_sentence(cancel))  # its answers go unread

    async def execute(self, script: str) -> str:
        words = command_words("/execute", {"script": script, "as-string": ""})
        return (await self.call(words, read=False))[-1].attrs.get("ret", "")


class _Collect:
    """The replies of one command, handed over all at once when its ``!done`` arrives (one
    wake-up of the waiting task per command, however many ``!re`` it has). ``limit`` seconds
    without a reply end it with TimeoutError (a long print that keeps answering goes on)."""

    __slots__ = ("future", "heard", "limit", "replies", "timer")

    def __init__(self, loop: asyncio.AbstractEventLoop, limit: float) -> None:
        self.future: asyncio.Future[list[Reply]] = loop.create_future()
        self.replies: list[Reply] = []
        self.limit, self.heard = limit, False
        self.timer = loop.call_later(limit, self._expire)

    def put(self, item: Reply | BaseException) -> None:
        if self.future.done():
            return
        if isinstance(item, BaseException):
            self.future.set_exception(item)
            return
        self.heard = True
        self.replies.append(item)
        if item.kind == "!done":
            self.future.set_result(self.replies)

    def _expire(self) -> None:
        if self.future.done():
            return
        if self.heard:  # answers still coming: wait another limit from now
            self.heard = False
            self.timer = self.future.get_loop().call_later(self.limit, self._expire)
            return
        self.future.set_exception(TimeoutError())


def _item_key(item_id: str) -> str:
    return ".id" if item_id.startswith("*") else "name"


def _missing(menu: str, item_id: str) -> NotFoundError:
    return NotFoundError(404, "Not Found", "no such item", method="API",
                         path=f"/{menu.strip('/')}/{item_id}")  # fmt: skip


def _router_error(trap: Reply, what: str) -> RouterError:
    message = trap.message or "failure"
    missing = message == "no such item"
    cls = NotFoundError if missing or message.startswith("no such command") else RouterError
    status = 404 if missing else 400
    return cls(status, "Not Found" if missing else "Bad Request", message, method="API", path=what)
