"""exec where RouterOS answers /container/shell without output: the command runs once, with its
output sent to a file on a writable mount and read back. A small fake router stands in for one
that behaves so (the simulator always answers with the output)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from mikrodock.containers.output import exec_command
from mikrodock.errors import UsageError
from mikrodock.routeros.dialect import Dialect


class SilentShellRouter:
    """Answers shell commands with ``[]``; 'runs' them by writing files for redirected output."""

    def __init__(self, mount: str = "src=disk1/web,dst=/srv") -> None:
        self.ran: list[str] = []
        self.files: dict[str, str] = {}
        self.container = {".id": "*1", "name": "web", "comment": "mikrodock:web", "mount": mount}

    async def print(
        self, menu: str, where: dict[str, str] | None = None, **_: Any
    ) -> list[dict[str, str]]:
        if menu == "container":
            return [self.container]
        if menu == "file":
            name = (where or {}).get("name", "")
            return (
                [{".id": "*F", "name": name, "contents": self.files[name]}]
                if (name in self.files)
                else []
            )
        return []

    async def command(self, menu: str, command: str, args: dict[str, str]) -> Any:
        cmd = args["cmd"]
        self.ran.append(cmd)
        # what sh does with `( CMD ) > FILE 2>&1; echo MARK$? >> FILE` (CMD printed, exit 0)
        spooled = re.fullmatch(r"\( (.*) \) > (\S+) 2>&1; echo (\S+)\$\? >> (\S+)", cmd)
        if spooled:
            path = spooled[2].strip("'").replace("/srv/", "disk1/web/")
            self.files[path] = f"hello world\n{spooled[3]}0\n"
        return []

    async def remove(self, menu: str, item: str) -> None:
        self.files.clear()


def test_output_comes_back_through_a_mounted_file() -> None:
    router = SilentShellRouter()
    result = asyncio.run(
        exec_command(
            router,
            Dialect.for_version("7.22"),
            "web",  # type: ignore[arg-type]
            ["echo", "hello world"],
        )
    )
    assert (result.exit_code, result.output) == (0, "hello world")
    [user_run] = [cmd for cmd in router.ran if "probe" not in cmd]
    assert user_run.startswith("( echo 'hello world' ) > /srv/.mikrodock-exec-")
    assert router.files == {}  # the spool file is removed


def test_without_a_writable_mount_it_says_how_to_get_output() -> None:
    router = SilentShellRouter(mount="")
    with pytest.raises(UsageError, match="no writable mount"):
        asyncio.run(exec_command(router, Dialect.for_version("7.22"), "web", ["ls"]))  # type: ignore[arg-type]
