"""The guest's HTTP listener: many connections at once are all answered, none waits for a
re-sent SYN; and the embedded program is its assembly source."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mikrodock.testing.guest.listener import LISTEN_ELF, SOURCE


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_fifty_connections_at_once_are_all_answered(tmp_path: Path) -> None:
    program = tmp_path / "listen"
    program.write_bytes(LISTEN_ELF)
    program.chmod(0o755)
    handler = tmp_path / "handler.sh"
    handler.write_text('#!/bin/sh\nread -r line\necho "got $line"\n')
    handler.chmod(0o755)
    port = _free_port()
    server = subprocess.Popen([str(program), str(port), str(handler)])
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "listen never listened"
                time.sleep(0.02)

        def ask(number: int) -> bytes:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
                conn.sendall(b"hello %d\n" % number)
                return conn.makefile("rb").read()

        with ThreadPoolExecutor(50) as pool:
            answers = list(pool.map(ask, range(50)))
        assert answers == [b"got hello %d\n" % n for n in range(50)]
    finally:
        server.kill()
        server.wait()


@pytest.mark.skipif(
    shutil.which("as") is None or shutil.which("objcopy") is None, reason="needs binutils"
)
def test_the_embedded_program_is_its_source(tmp_path: Path) -> None:
    (tmp_path / "listen.S").write_text(SOURCE)
    subprocess.run(["as", "--64", "-o", "listen.o", "listen.S"], cwd=tmp_path, check=True)
    subprocess.run(["objcopy", "-O", "binary", "-j", ".text", "listen.o", "code"],
                   cwd=tmp_path, check=True)  # fmt: skip
    code = (tmp_path / "code").read_bytes()
    assert code and code in LISTEN_ELF
