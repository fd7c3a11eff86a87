"""The API protocol codec: every length form at its boundaries, sentences split anywhere,
replies and commands taken apart, hostile input refused, queries as the manual defines them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mikrodock.routeros.api_codec import (
    ProtocolError,
    Reply,
    SentenceReader,
    command_words,
    decode_length,
    encode_length,
    encode_sentence,
    parse_command,
    parse_reply,
    reply_words,
)
from mikrodock.routeros.api_query import matches

# (largest length of a form, its prefix size): the manual's five forms
FORMS = [(0x7F, 1), (0x3FFF, 2), (0x1FFFFF, 3), (0xFFFFFFF, 4), (0xFFFFFFFF, 5)]


@pytest.mark.parametrize(("top", "size"), FORMS)
def test_each_length_form_holds_to_its_boundary_and_the_next_takes_over(
    top: int, size: int
) -> None:
    for n in (top - 1, top):
        encoded = encode_length(n)
        assert len(encoded) == size
        assert decode_length(encoded) == (n, size)
    if size < 5:
        assert len(encode_length(top + 1)) == size + 1


def test_known_encodings_from_the_manual() -> None:
    assert encode_length(0x7F) == b"\x7f"
    assert encode_length(0x80) == b"\x80\x80"
    assert encode_length(0x4000) == b"\xc0\x40\x00"
    assert encode_length(0x200000) == b"\xe0\x20\x00\x00"
    assert encode_length(0x10000000) == b"\xf0\x10\x00\x00\x00"


@given(st.integers(min_value=0, max_value=0xFFFFFFFF))
def test_lengths_round_trip(n: int) -> None:
    encoded = encode_length(n)
    assert decode_length(encoded) == (n, len(encoded))
    assert decode_length(encoded[:-1]) is None  # truncated: wait for more


@pytest.mark.parametrize("byte", [0xF8, 0xF9, 0xFF])
def test_reserved_control_bytes_are_refused(byte: int) -> None:
    with pytest.raises(ProtocolError, match="reserved control byte"):
        decode_length(bytes((byte, 0, 0, 0, 0)))


words = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=300)
sentences = st.lists(st.lists(words, min_size=1, max_size=6), min_size=1, max_size=5)


@given(sentences, st.lists(st.integers(min_value=1, max_value=50), max_size=20))
def test_sentences_round_trip_however_the_stream_is_split(
    sents: list[list[str]], cuts: list[int]
) -> None:
    stream = b"".join(encode_sentence(s) for s in sents)
    reader = SentenceReader()
    got: list[list[str]] = []
    pos = 0
    for cut in cuts:
        got += reader.feed(stream[pos : pos + cut])
        pos += cut
    got += reader.feed(stream[pos:])
    assert got == sents
    assert not reader.pending


@given(sentences, st.integers(min_value=1))
def test_a_truncated_stream_yields_only_whole_sentences(sents: list[list[str]], k: int) -> None:
    stream = b"".join(encode_sentence(s) for s in sents)
    cut = k % len(stream)
    reader = SentenceReader()
    got = reader.feed(stream[:cut])
    assert got == sents[: len(got)]
    assert len(got) < len(sents)
    assert reader.pending or cut == 0 or len(got) > 0


def test_an_oversized_word_is_refused_before_it_is_buffered() -> None:
    reader = SentenceReader(max_word=1000)
    with pytest.raises(ProtocolError, match="over the 1000 limit"):
        reader.feed(encode_length(0xFFFFFFFF) + b"x")


@given(st.binary(max_size=200))
def test_arbitrary_bytes_give_sentences_or_a_protocol_error(data: bytes) -> None:
    reader = SentenceReader(max_word=4096)
    try:
        for sentence in reader.feed(data):
            assert all(isinstance(w, str) for w in sentence)
    except ProtocolError:
        pass


def test_commands_carry_attributes_queries_proplist_and_tag() -> None:
    words = command_words(
        "/ip/address/print",
        {"detail": ""},
        queries=["interface=ether1", "-disabled", "<mtu=1500", "#|"],
        proplist=["address", ".id"],
        tag="7",
    )
    assert words == [
        "/ip/address/print",
        "=detail=",
        "=.proplist=address,.id",
        "?interface=ether1",
        "?-disabled",
        "?<mtu=1500",
        "?#|",
        ".tag=7",
    ]
    cmd = parse_command(words)
    assert (cmd.menu, cmd.command, cmd.tag) == ("ip/address", "print", "7")
    assert cmd.proplist == ["address", ".id"]
    assert cmd.queries == ["interface=ether1", "-disabled", "<mtu=1500", "#|"]
    assert parse_command(["/interface/set", "=.id=*1", "=comment=a=b"]).attrs == {
        ".id": "*1",
        "comment": "a=b",
    }


@pytest.mark.parametrize("words", [[], ["interface/print"], ["/x", "junk"]])
def test_malformed_commands_are_refused(words: list[str]) -> None:
    with pytest.raises(ProtocolError):
        parse_command(words)


attr_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-.", min_size=1, max_size=12).filter(
    lambda s: s != ".tag"
)


@given(
    st.sampled_from(["!re", "!done", "!trap", "!empty"]),
    st.dictionaries(attr_names, st.text(max_size=40), max_size=5),
    st.none() | st.text(alphabet="0123456789abc", min_size=1, max_size=4),
)
def test_replies_round_trip(kind: str, attrs: dict[str, str], tag: str | None) -> None:
    reply = Reply(kind, attrs, tag)
    assert parse_reply(reply_words(reply)) == reply


def test_trap_category_and_fatal_message() -> None:
    trap = parse_reply(["!trap", "=category=0", "=message=no such command or directory (x)"])
    assert (trap.category, trap.message) == (0, "no such command or directory (x)")
    fatal = parse_reply(["!fatal", "session terminated on request"])
    assert fatal.message == "session terminated on request"
    with pytest.raises(ProtocolError):
        parse_reply(["=message=x"])


RECORD = {"name": "ether1", "mtu": "1500", "type": "ether"}


@pytest.mark.parametrize(
    ("queries", "expected"),
    [
        ([], True),
        (["name=ether1"], True),
        (["name=ether2"], False),
        (["name"], True),
        (["-comment"], True),
        (["-name"], False),
        (["<mtu=1600"], True),
        ([">mtu=1600"], False),
        (["name=ether2", "type=ether", "#|"], True),
        (["name=ether2", "type=ether", "#&"], False),
        (["name=ether2", "#!"], True),
        (["name=ether1", "#.", "#&"], True),
        (["name=x", "name=y", "name=ether1", "#|", "#|"], True),
    ],
)
def test_queries_follow_the_manual(queries: list[str], expected: bool) -> None:
    assert matches(queries, RECORD) is expected


def test_a_query_operation_without_values_is_refused() -> None:
    with pytest.raises(ProtocolError):
        matches(["#|"], RECORD)
