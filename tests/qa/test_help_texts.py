"""`run --help` and `create --help` describe every flag (a bare flag name helps nobody)."""

from __future__ import annotations

from typing import Any

import pytest

from mikrodock.cli.root import root


@pytest.mark.parametrize("name", ["run", "create"])
def test_every_run_flag_has_a_description(name: str) -> None:
    group: Any = root.load_all()
    command = group.commands[name]
    bare = [
        param.opts[0]
        for param in command.params
        if param.param_type_name == "option" and not (getattr(param, "help", "") or "").strip()
    ]
    assert bare == []
