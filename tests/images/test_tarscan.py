"""The lean tar scanner reads what tarfile reads: names, types, link targets, sizes, data."""

from __future__ import annotations

import io
import tarfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mikrodock.errors import ImageError
from mikrodock.images.tarscan import TarScanner, parse_pax, tarinfo_of

_segment = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/\0"),
    min_size=1,
    max_size=40,
)
_name = st.lists(_segment, min_size=1, max_size=6).map("/".join)
_kind = st.sampled_from(
    [
        tarfile.REGTYPE,
        tarfile.DIRTYPE,
        tarfile.SYMTYPE,
        tarfile.LNKTYPE,
        tarfile.FIFOTYPE,
        tarfile.CHRTYPE,
    ]
)
_entry = st.tuples(_name, _kind, _name, st.binary(max_size=700), st.integers(0, 2**21))


def _build(entries: list[tuple[str, bytes, str, bytes, int]], fmt: int) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt, encoding="utf-8") as tar:
        for name, kind, link, data, uid in entries:
            info = tarfile.TarInfo(name)
            info.type, info.uid, info.mtime = kind, uid, 1_700_000_000
            if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
                info.linkname = link
            if kind == tarfile.REGTYPE:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return out.getvalue()


@settings(max_examples=150)
@given(st.lists(_entry, max_size=8), st.sampled_from([tarfile.PAX_FORMAT, tarfile.GNU_FORMAT]))
def test_scanner_agrees_with_tarfile(
    entries: list[tuple[str, bytes, str, bytes, int]], fmt: int
) -> None:
    try:
        raw = _build(entries, fmt)
    except ValueError:
        return  # tarfile cannot write it in this format (e.g. a uid too big for GNU)
    with tarfile.open(fileobj=io.BytesIO(raw), encoding="utf-8", errors="surrogateescape") as tar:
        expected = [(i.name, i.type, i.linkname, i.size) for i in tar.getmembers()]
        datas = [tar.extractfile(i).read() if i.isreg() else b"" for i in tar]  # type: ignore[union-attr]
    scanner = TarScanner(io.BytesIO(raw), "test")
    got = []
    for member in scanner:
        out = io.BytesIO()
        scanner.copy_data(out)
        got.append(((member.name, member.type, member.linkname, member.size), out.getvalue()))
        assert tarinfo_of(member).name == member.name
    assert [g[0] for g in got] == expected
    assert [g[1][: len(d)] for g, d in zip(got, datas, strict=True)] == datas


def test_damaged_and_short_tars_are_image_errors() -> None:
    raw = _build([("a", tarfile.REGTYPE, "", b"x" * 2000, 0)], tarfile.PAX_FORMAT)
    scanner = TarScanner(io.BytesIO(raw[:1024]), "layer 1")
    with pytest.raises(ImageError, match="layer 1: the tar ends early"):
        for _ in scanner:
            scanner.copy_data(io.BytesIO())
    broken = bytearray(raw)
    broken[124:136] = b"zzzzzzzzzzz\0"
    with pytest.raises(ImageError, match="damaged"):
        list(TarScanner(io.BytesIO(bytes(broken)), "layer 2"))
    with pytest.raises(ImageError, match="PAX header is damaged"):
        parse_pax(b"xx path=a\n", "layer 3")
