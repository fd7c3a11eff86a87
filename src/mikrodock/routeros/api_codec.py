"""The RouterOS API protocol (ports 8728/8729) on the wire: words, sentences, replies, queries.

Pure: no sockets. Shared by the client transport and the simulator's server.

A *word* is a length then that many bytes. The length takes one to five bytes, by size::

    < 0x80          1 byte   0xxxxxxx
    < 0x4000        2 bytes  10xxxxxx xxxxxxxx
    < 0x200000      3 bytes  110xxxxx ...
    < 0x10000000    4 bytes  1110xxxx ...
    otherwise       5 bytes  11110000 + 4 bytes
    (first bytes 0xF8 and above are reserved control bytes)

A *sentence* is words ended by an empty word. The first word of a command is its path
(``/interface/print``); of a reply its kind (``!re``, ``!done``, ``!trap``, ``!fatal``,
``!empty`` from 7.18). Attribute words are ``=name=value`` (the value may hold ``=``), API
attributes ``.tag=x`` and ``=.proplist=a,b``, query words start with ``?``. Sources: MikroTik's
"API" manual page (help.mikrotik.com/docs/display/ROS/API), read against the word handling
of librouteros and node-routeros.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = [
    "MAX_WORD",
    "Command",
    "ProtocolError",
    "Reply",
    "SentenceReader",
    "command_words",
    "decode_length",
    "encode_length",
    "encode_sentence",
    "encode_word",
    "parse_command",
    "parse_reply",
    "reply_words",
]

MAX_WORD = 64 * 1024 * 1024
"""The longest word a reader accepts unless told otherwise (a hostile length cannot make it
buffer gigabytes)."""

REPLY_KINDS = frozenset({"!re", "!done", "!trap", "!fatal", "!empty"})


class ProtocolError(ValueError):
    """Bytes that are not the API protocol: a reserved control byte, a word too long, a
    sentence that does not start as it must."""


def encode_length(n: int) -> bytes:
    """The length prefix of a word of ``n`` bytes."""
    if n < 0:
        raise ValueError(f"negative word length {n}")
    if n < 0x80:
        return bytes((n,))
    if n < 0x4000:
        return (n | 0x8000).to_bytes(2, "big")
    if n < 0x200000:
        return (n | 0xC00000).to_bytes(3, "big")
    if n < 0x10000000:
        return (n | 0xE0000000).to_bytes(4, "big")
    if n < 0x100000000:
        return b"\xf0" + n.to_bytes(4, "big")
    raise ValueError(f"word of {n} bytes is longer than the protocol allows")


def decode_length(data: bytes | bytearray | memoryview, pos: int = 0) -> tuple[int, int] | None:
    """``(length, position after the prefix)``, or None when ``data`` ends inside the prefix.
    Raises :class:`ProtocolError` on a reserved control byte."""
    if pos >= len(data):
        return None
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    if first < 0xC0:
        size, value = 2, first & 0x3F
    elif first < 0xE0:
        size, value = 3, first & 0x1F
    elif first < 0xF0:
        size, value = 4, first & 0x0F
    elif first == 0xF0:
        size, value = 5, 0
    else:
        raise ProtocolError(f"reserved control byte 0x{first:02X} where a word length belongs")
    if pos + size > len(data):
        return None
    for byte in bytes(data[pos + 1 : pos + size]):
        value = (value << 8) | byte
    return value, pos + size


def encode_word(word: str | bytes) -> bytes:
    raw = word.encode() if isinstance(word, str) else word
    return encode_length(len(raw)) + raw


def encode_sentence(words: Iterable[str | bytes]) -> bytes:
    """Words then the empty word that ends a sentence."""
    return b"".join(encode_word(w) for w in words) + b"\x00"


class SentenceReader:
    """Turns a byte stream into sentences (lists of words), however the bytes are split.

    ``feed`` returns the sentences completed so far; bytes of an unfinished one are kept.
    A word longer than ``max_word`` raises :class:`ProtocolError` before it is buffered."""

    def __init__(self, max_word: int = MAX_WORD) -> None:
        self.max_word = max_word
        self._buffer = bytearray()
        self._words: list[str] = []
        self._need = 0  # bytes the buffer must hold before the next word can be complete

    @property
    def pending(self) -> bool:
        """True while part of a sentence has arrived (a close now cuts it)."""
        return bool(self._buffer or self._words)

    def feed(self, data: bytes) -> list[list[str]]:
        if self._buffer:
            self._buffer += data
            if len(self._buffer) < self._need:  # a long word still arriving: nothing to do
                return []
            buffer = bytes(self._buffer)  # one copy; words are sliced from it
        else:
            buffer = data  # the usual case: whole sentences in one read, no copy at all
        done: list[list[str]] = []
        words = self._words
        pos, end = 0, len(buffer)
        self._need = 0
        while pos < end:
            first = buffer[pos]
            if first < 0x80:  # most words: a one-byte length, read here without a call
                length, start = first, pos + 1
            else:
                prefix = decode_length(buffer, pos)
                if prefix is None:
                    break
                length, start = prefix
                if length > self.max_word:
                    raise ProtocolError(f"word of {length} bytes is over the {self.max_word} limit")
            if start + length > end:
                self._need = start + length - pos
                break
            if length == 0:
                done.append(words)
                words = []
            else:
                words.append(buffer[start : start + length].decode("utf-8", "surrogateescape"))
            pos = start + length
        self._words = words
        self._buffer = bytearray(buffer[pos:]) if pos < end else bytearray()
        return done


# -- commands --------------------------------------------------------------------------------


@dataclass
class Command:
    """A command sentence, taken apart."""

    path: str
    """``/interface/print``: the menu and the command, slash-separated."""
    attrs: dict[str, str] = field(default_factory=dict)
    """``=name=value`` words (``.id`` and ``.proplist`` included, as RouterOS keeps them)."""
    queries: list[str] = field(default_factory=list)
    """Query words without their ``?``: ``name=x``, ``-name``, ``<a=b``, ``#|``."""
    tag: str | None = None

    @property
    def menu(self) -> str:
        return self.path.rsplit("/", 1)[0].strip("/")

    @property
    def command(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def proplist(self) -> list[str] | None:
        value = self.attrs.get(".proplist")
        return None if value is None else [p for p in value.split(",") if p]


def command_words(
    path: str,
    attrs: Mapping[str, str] | None = None,
    *,
    queries: Sequence[str] = (),
    proplist: Sequence[str] | None = None,
    tag: str | None = None,
) -> list[str]:
    """The words of a command: ``command_words("/ip/address/print", queries=["interface=ether1"],
    proplist=["address"], tag="3")``."""
    if not path.startswith("/"):
        path = "/" + path
    words = [path]
    words += [f"={k}={v}" for k, v in (attrs or {}).items()]
    if proplist is not None:
        words.append("=.proplist=" + ",".join(proplist))
    words += ["?" + q for q in queries]
    if tag is not None:
        words.append(f".tag={tag}")
    return words


def parse_command(words: Sequence[str]) -> Command:
    """Take a command sentence apart; raises :class:`ProtocolError` when it is not one."""
    if not words or not words[0].startswith("/"):
        raise ProtocolError(f"a command starts with its path, not {words[0] if words else ''!r}")
    command = Command(words[0])
    for word in words[1:]:
        if word.startswith("="):
            name, _, value = word[1:].partition("=")
            command.attrs[name] = value
        elif word.startswith("?"):
            command.queries.append(word[1:])
        elif word.startswith(".tag="):
            command.tag = word[5:]
        elif word.startswith("."):
            name, _, value = word[1:].partition("=")
            command.attrs["." + name] = value
        else:
            raise ProtocolError(f"word {word!r} is neither =attribute, ?query nor .tag")
    return command


# -- replies ---------------------------------------------------------------------------------


@dataclass
class Reply:
    """One reply sentence: ``!re``, ``!done``, ``!trap``, ``!fatal`` or ``!empty``."""

    kind: str
    attrs: dict[str, str] = field(default_factory=dict)
    tag: str | None = None

    @property
    def message(self) -> str:
        return self.attrs.get("message", "")

    @property
    def category(self) -> int | None:
        """A ``!trap``'s ``category`` (0 missing item or command, 1 argument value out of
        range, 2 command interrupted, 3 script failure, 4 general failure, 5 API failure,
        6 TTY failure, 7 return value), when RouterOS sent one."""
        value = self.attrs.get("category")
        return int(value) if value is not None and value.isdigit() else None


def reply_words(reply: Reply) -> list[str]:
    """The words of ``reply`` (a ``!fatal`` carries its message as a bare word)."""
    if reply.kind == "!fatal":
        return ["!fatal", reply.message]
    words = [reply.kind]
    words += [f"={k}={v}" for k, v in reply.attrs.items()]
    if reply.tag is not None:
        words.append(f".tag={reply.tag}")
    return words


def parse_reply(words: Sequence[str]) -> Reply:
    """Take a reply sentence apart; raises :class:`ProtocolError` when it is not one."""
    if not words or words[0] not in REPLY_KINDS:
        raise ProtocolError(f"a reply starts with !re, !done, !trap, !fatal or !empty, not "
                            f"{words[0] if words else ''!r}")  # fmt: skip
    kind = words[0]
    reply = Reply(kind)
    attrs = reply.attrs
    if kind == "!fatal":
        attrs["message"] = "\n".join(w for w in words[1:] if not w.startswith(".tag="))
        for word in words[1:]:
            if word.startswith(".tag="):
                reply.tag = word[5:]
            elif word.startswith("="):
                name, _, value = word[1:].partition("=")
                attrs[name] = value
        return reply
    for word in words[1:]:
        if word[:1] == "=":
            name, _, value = word[1:].partition("=")
            attrs[name] = value
        elif word.startswith(".tag="):
            reply.tag = word[5:]
        else:
            name, _, value = word.partition("=")
            attrs[name] = value
    return reply
