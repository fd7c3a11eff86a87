"""One word per concept: `--no-password` on `chr run` and `chr serve` alike (the older
`--empty-password` still taken, not shown); empty lists say so."""

from __future__ import annotations

from typing import Any


def test_chr_serve_says_no_password_like_chr_run(run_cli: Any) -> None:
    for command in (("chr", "run"), ("chr", "serve")):
        code, out, _ = run_cli(*command, "--help")
        assert code == 0 and "--no-password" in out and "--empty-password" not in out


def test_an_empty_lab_list_says_so(run_cli: Any) -> None:
    code, out, err = run_cli("lab", "ls")
    assert (code, err) == (0, "")
    assert out == "no labs (start one with: mikrodock lab up FILE)\n"
    code, out, _ = run_cli("lab", "ls", "--json")
    assert (code, out.strip()) == (0, "[]")
