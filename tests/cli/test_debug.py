"""`--debug` shows the traceback of an error and still exits as without it (2 for bad input)."""

from __future__ import annotations

from typing import Any

import pytest


def test_debug_keeps_exit_2_for_a_user_error(run_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIKRODOCK_DEBUG", "")  # --debug sets it; put it back afterwards
    plain = run_cli("context", "use", "nowhere")
    assert plain.code == 2 and "Traceback" not in plain.err
    debug = run_cli("--debug", "context", "use", "nowhere")
    assert debug.code == 2
    assert "Traceback" in debug.err and "no context named 'nowhere'" in debug.err
