"""Every command example in the guides runs, so the docs stay true.

The contract for docs/guides/*.md and docs/ci/*.md:

- a fenced ``console`` block holds commands (``$ `` lines, ``\\`` continues a line) and,
  below each, lines its output must contain, in order (``...`` in a line matches anything);
  an expected line starting ``mikrodock: error:`` means the command must exit 2, else 0;
- ``<!-- file: NAME -->`` right before any fenced block writes that block to NAME first;
- commands run in bash, in document order, in one scratch folder per guide, with
  ``$ROUTER`` (a simulated router's URL; ``MIKRODOCK_PASSWORD`` holds its password) and
  ``$CHR_IMAGE`` (the test guest, a disk that boots like a CHR) set when a guide uses them.

Blocks of any other language are not run (YAML blocks in the CI docs are parsed, below).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[2]
DOCS = sorted([*REPO.glob("docs/guides/*.md"), *REPO.glob("docs/ci/*.md")])
ACTION = REPO / ".github" / "actions" / "mikrodock-chr" / "action.yml"
ENTRY = "import sys\nfrom mikrodock.cli import main\nmain.main(sys.argv[1:])\n"
_FILE = re.compile(r"^<!--\s*file:\s*(\S+)\s*-->\s*$")


@dataclass
class Command:
    line: int
    text: str
    expected: list[str] = field(default_factory=list)


@dataclass
class Block:
    lang: str
    line: int
    text: str
    file: str | None = None
    commands: list[Command] = field(default_factory=list)


def parse_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    lines = text.splitlines()
    index = 0
    pending_file: str | None = None
    while index < len(lines):
        line = lines[index]
        marker = _FILE.match(line.strip())
        if marker:
            pending_file = marker.group(1)
        elif line.startswith("```"):
            lang = line[3:].strip()
            start = index + 1
            end = start
            while end < len(lines) and not lines[end].startswith("```"):
                end += 1
            body = lines[start:end]
            block = Block(lang, start + 1, "\n".join(body) + "\n", pending_file)
            if lang == "console":
                block.commands = _commands(body, start + 1)
            blocks.append(block)
            pending_file = None
            index = end
        elif line.strip():
            pending_file = None
        index += 1
    return blocks


def _commands(body: list[str], first_line: int) -> list[Command]:
    commands: list[Command] = []
    continuing = False
    for offset, line in enumerate(body):
        if continuing:
            commands[-1].text += "\n" + line
            continuing = line.endswith("\\")
        elif line.startswith("$ "):
            commands.append(Command(first_line + offset, line[2:]))
            continuing = line.endswith("\\")
        elif line.strip():
            assert commands, f"line {first_line + offset}: output before any command"
            commands[-1].expected.append(line.rstrip())
    return commands


def _pattern(expected: str) -> re.Pattern[str]:
    parts = [re.escape(part) for part in expected.strip().split("...")]
    return re.compile(".*".join(parts))


def check_output(expected: list[str], output: str) -> str | None:
    """None when every expected line matches an output line, in order; else the first miss."""
    lines = output.splitlines()
    position = 0
    for want in expected:
        pattern = _pattern(want)
        while position < len(lines) and not pattern.search(lines[position]):
            position += 1
        if position == len(lines):
            return want
        position += 1
    return None


@pytest.fixture(scope="module")
def shim_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``mikrodock`` on PATH that has every command group of this tree registered."""
    folder = tmp_path_factory.mktemp("bin")
    shim = folder / "mikrodock"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -c \'{ENTRY}\' "$@"\n')
    shim.chmod(0o755)
    return folder


@pytest.fixture
def guide_env(shim_bin: Path, tmp_path: Path) -> Iterator[dict[str, str]]:
    venv_bin = Path(sys.executable).parent
    env = {
        **os.environ,
        "PATH": f"{shim_bin}:{venv_bin}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(tmp_path / "home"),
        "NO_COLOR": "1",
        "COLUMNS": "200",
        "TERM": "dumb",
    }
    env.pop("MIKRODOCK_HOST", None)
    env.pop("MIKRODOCK_CONTEXT", None)
    (tmp_path / "home").mkdir()
    yield env


def _guest() -> Path:
    from mikrodock.testing.guest import guest_image

    return guest_image(cache=REPO / ".cache" / "tests" / "test-guest")


def run_guide(doc: Path, env: dict[str, str], workdir: Path) -> None:
    for block in parse_blocks(doc.read_text()):
        where = f"{doc.relative_to(REPO)}:{block.line}"
        if block.file:
            target = workdir / block.file
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.text)
        for command in block.commands:
            done = subprocess.run(
                ["bash", "-e", "-o", "pipefail", "-c", command.text],
                cwd=workdir, env=env, capture_output=True, text=True, timeout=600,
            )  # fmt: skip
            output = done.stdout + done.stderr
            fails = any(line.startswith("mikrodock: error:") for line in command.expected)
            want = 2 if fails else 0
            assert done.returncode == want, (
                f"{where}: `{command.text}` exited {done.returncode}, not {want}:\n{output[-3000:]}"
            )
            missing = check_output(command.expected, output)
            assert missing is None, (
                f"{where}: `{command.text}` did not print {missing!r}; it printed:\n"
                f"{output[-3000:]}"
            )


def _console_docs() -> list[Path]:
    return [d for d in DOCS if any(b.commands for b in parse_blocks(d.read_text()))]


@pytest.mark.parametrize("doc", _console_docs(), ids=lambda d: str(d.relative_to(REPO)))
def test_guide_examples_run(doc: Path, guide_env: dict[str, str], tmp_path: Path) -> None:
    text = doc.read_text()
    workdir = tmp_path / "work"
    workdir.mkdir()
    env = dict(guide_env)
    if "$CHR_IMAGE" in text:
        env["CHR_IMAGE"] = str(_guest())
    if "$ROUTER" in text:
        from mikrodock.sim import running

        with running(version="7.22.3") as sim:
            env.update(ROUTER=sim.url, MIKRODOCK_PASSWORD=sim.password)
            run_guide(doc, env, workdir)
        return
    run_guide(doc, env, workdir)


def test_the_guides_exist_and_have_examples() -> None:
    names = {d.name for d in _console_docs()}
    assert {"automation-tests.md", "labs.md", "containers-on-a-router.md"} <= names


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: str(d.relative_to(REPO)))
def test_yaml_blocks_parse(doc: Path) -> None:
    yaml = YAML(typ="safe", pure=True)
    for block in parse_blocks(doc.read_text()):
        if block.lang in ("yaml", "yml"):
            assert yaml.load(block.text) is not None, f"{doc.name}:{block.line}"


def test_the_composite_action_is_valid() -> None:
    """action.yml: a composite action whose shell steps parse (bash -n)."""
    action = YAML(typ="safe", pure=True).load(ACTION.read_text())
    assert action["runs"]["using"] == "composite"
    assert action["name"] and action["description"]
    steps = action["runs"]["steps"]
    uses = [s["uses"] for s in steps if "uses" in s]
    assert any(u.startswith("actions/cache@") for u in uses)
    scripts = [s for s in steps if "run" in s]
    assert scripts and all(s.get("shell") == "bash" for s in scripts)
    for step in scripts:
        script = re.sub(r"\$\{\{[^}]*\}\}", "x", step["run"])
        done = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
        assert done.returncode == 0, f"{step.get('name')}: {done.stderr}"
    text = ACTION.read_text()
    assert "/dev/kvm" in text and "mikrodock chr" in text


def test_parser_reads_commands_outputs_and_files() -> None:
    doc = (
        "<!-- file: a.txt -->\n```text\nhello\n```\n\n```console\n$ cat a.txt \\\n"
        "  | tr a-z A-Z\nHEL...\n$ true\n```\n"
    )
    blocks = parse_blocks(doc)
    assert blocks[0].file == "a.txt" and blocks[0].text == "hello\n"
    commands = blocks[1].commands
    assert [c.text for c in commands] == ["cat a.txt \\\n  | tr a-z A-Z", "true"]
    assert commands[0].expected == ["HEL..."]
    assert check_output(["HEL..."], "HELLO\n") is None
    assert check_output(["a", "b"], "b\na\n") == "b"
