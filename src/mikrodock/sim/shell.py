"""What a simulated container "is": its image name, environment, mounts, output and shell.

Nothing runs. The simulator fakes, and only fakes, this much:

* **stdout**: a container whose entrypoint/cmd is ``echo WORDS`` (also ``sh -c "echo ..."``)
  prints WORDS once when it starts; an image named ``*hello-world*`` prints
  ``Hello from Docker!``. Nothing else prints.
* **shell** (``/container/shell cmd=...``, 7.20+), run as ``sh -c`` runs it: ``echo ARGS``,
  ``cat PATH`` (PATH under a mount's ``dst`` reads the ``/file`` at the mount's ``src``),
  ``ls PATH``, ``env``, ``hostname``, ``pwd``, ``id``, ``uname -m``, ``true``, ``false``,
  ``exit N`` and ``sh -c SCRIPT``, joined by ``;``, ``&&`` and ``||`` with ``$?`` expanded
  (exit statuses as busybox gives them: 1 for a failed ``cat``/``ls``/``false``, 127 for a
  command not found, which answers ``sh: CMD: not found``). No pipes, redirections or
  variables other than ``$?``.
* **image archives** (``file=``): the archive must be a tar with ``manifest.json`` naming one
  uncompressed layer that is itself a tar, as RouterOS requires; the image shows as the first
  ``RepoTags`` entry.
"""

from __future__ import annotations

import io
import json
import shlex
import tarfile
from collections.abc import Callable
from typing import TYPE_CHECKING

from mikrodock.sim import container_facts as facts
from mikrodock.sim.files import file_bytes, find_file
from mikrodock.sim.state import Item

if TYPE_CHECKING:
    from mikrodock.sim.router import SimRouter

__all__ = ["check_archive", "environment", "image_name", "mounts", "run", "stdout_lines"]


def image_name(remote_image: str, registry_url: str) -> str:
    """How a container record shows ``remote-image``: registry host, repository and tag."""
    name = remote_image.strip()
    first = name.split("/", 1)[0]
    if "/" in name and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, name.split("/", 1)[1]
    else:
        registry = registry_url.split("://", 1)[-1].rstrip("/") or "registry-1.docker.io"
        path = name
        if registry in ("registry-1.docker.io", "docker.io") and "/" not in path:
            path = f"library/{path}"
    last = path.rsplit("/", 1)[-1]
    if ":" not in last and "@" not in last:
        path += ":latest"
    return f"{registry}/{path}"


def check_archive(data: bytes) -> tuple[str, str]:
    """``(image name, "")`` for a loadable archive, ``("", error text)`` otherwise."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
            manifest = json.loads(archive.extractfile("manifest.json").read())  # type: ignore[union-attr]
            if not isinstance(manifest, list) or len(manifest) != 1:
                return "", "failure: archive holds more than one image"
            layers = manifest[0].get("Layers") or []
            if len(layers) != 1:
                return "", "failure: image must have exactly one layer"
            layer = archive.extractfile(layers[0])
            if layer is None:
                return "", "failure: layer missing from archive"
            with tarfile.open(fileobj=io.BytesIO(layer.read()), mode="r:"):
                pass
            tags = manifest[0].get("RepoTags") or [""]
            return str(tags[0]), ""
    except (tarfile.TarError, KeyError, ValueError, AttributeError):
        return "", "failure: not a docker image archive (uncompressed, one layer)"


def _group(router: SimRouter, menu: str, key: str, names: str) -> list[Item]:
    wanted = {n.strip() for n in names.split(",") if n.strip()}
    return [
        i
        for i in router.state.menu(menu).items
        if i.get(key) in wanted and i.get("disabled") != "true"
    ]


def environment(router: SimRouter, item: Item) -> list[tuple[str, str]]:
    """The container's variables: its env lists, then inline ``env=`` pairs."""
    pairs = [
        (e.get("key", ""), e.get("value", ""))
        for e in _group(
            router,
            "container/envs",
            facts.envs_group_key(router),
            item.get(facts.env_list_arg(router), ""),
        )
    ]
    for part in item.get("env", "").split(","):
        if "=" in part:
            key, _, value = part.partition("=")
            pairs.append((key.strip(), value))
    return pairs


def mounts(router: SimRouter, item: Item) -> list[tuple[str, str]]:
    """``(src, dst)`` of the container's mounts: mount entries or lists, then inline ``mount=``."""
    found = [
        (m.get("src", ""), m.get("dst", ""))
        for m in _group(
            router,
            "container/mounts",
            facts.mounts_group_key(router),
            item.get(facts.mount_list_arg(router), ""),
        )
    ]
    src = ""
    for part in item.get("mount", "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "src":
            src = value
        elif key == "dst":
            found.append((src, value))
    return found


def stdout_lines(item: Item) -> list[str]:
    """What the container "prints" when it starts."""
    try:
        words = shlex.split(f"{item.get('entrypoint', '')} {item.get('cmd', '')}")
    except ValueError:
        words = []
    if len(words) >= 3 and words[0].rsplit("/", 1)[-1] in ("sh", "bash") and words[1] == "-c":
        try:
            words = shlex.split(words[2])
        except ValueError:
            words = []
    if words and words[0].rsplit("/", 1)[-1] == "echo":
        return [" ".join(words[1:])]
    image = item.get("tag", "") + item.get("repo", "")
    if "hello-world" in image:
        return ["Hello from Docker!"]
    return []


def _file_for(router: SimRouter, item: Item, path: str) -> tuple[str, Item | None]:
    for src, dst in mounts(router, item):
        dst = "/" + dst.strip("/")
        if path == dst or path.startswith(dst + "/"):
            name = src.strip("/") + path[len(dst) :]
            return name, find_file(router, name)
    return "", None


_OPERATORS = (";", "&&", "||")
_MAX_DEPTH = 8


def run(router: SimRouter, item: Item, command: str) -> str:
    """The output of ``command`` in the (fake) container, run as ``sh -c`` runs it."""
    return _script(router, item, command, 0)[0]


def _script(router: SimRouter, item: Item, command: str, depth: int) -> tuple[str, int]:
    """(output, exit status) of a command list: simple commands joined by ``;``, ``&&`` and
    ``||``, with ``$?`` (the last status) expanded; ``exit N`` ends the list."""
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=";&|")
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError as error:
        return f"sh: syntax error: {error}", 2
    out: list[str] = []
    status, words, skip = 0, [], False
    for token in [*tokens, ";"]:
        if token not in _OPERATORS and not set(token) <= set(";&|"):
            words.append(token)
            continue
        if token not in _OPERATORS:
            return "\n".join([*out, f"sh: syntax error: unexpected {token!r}"]), 2
        if words and not skip:
            words = [word.replace("$?", str(status)) for word in words]
            if words[0] == "exit":
                code = words[1] if len(words) > 1 else str(status)
                return "\n".join(out), int(code) % 256 if code.isdigit() else 2
            text, status = _simple(router, item, words, depth)
            if text:
                out.append(text)
        words = []
        skip = (token == "&&" and status != 0) or (token == "||" and status == 0)
    return "\n".join(out), status


def _simple(router: SimRouter, item: Item, words: list[str], depth: int) -> tuple[str, int]:
    """(output, exit status) of one command."""
    head, args = words[0].rsplit("/", 1)[-1], words[1:]
    if head in ("sh", "ash", "bash") and args[:1] == ["-c"] and len(args) > 1:
        if depth >= _MAX_DEPTH:
            return "sh: too deeply nested", 2
        return _script(router, item, args[1], depth + 1)
    if head == "echo":
        return " ".join(args), 0
    if head == "cat":
        out, status = [], 0
        for path in args:
            name, found = _file_for(router, item, path)
            if found is None or found.get("type") == "directory":
                out.append(f"cat: can't open '{path}': No such file or directory")
                status = 1
            else:
                out.append(file_bytes(found).decode("utf-8", "replace").rstrip("\n"))
        return "\n".join(out), status
    if head == "ls":
        path = args[0] if args else item.get("workdir") or "/"
        name, found = _file_for(router, item, path)
        if found is None:
            return f"ls: {path}: No such file or directory", 1
        prefix = name.strip("/") + "/"
        listed = sorted(
            f.get("name", "")[len(prefix) :]
            for f in router.state.menu("file").items
            if f.get("name", "").startswith(prefix) and "/" not in f["name"][len(prefix) :]
        )
        return "\n".join(listed), 0
    simple: dict[str, Callable[[], str]] = {
        "env": lambda: "\n".join(f"{k}={v}" for k, v in environment(router, item)),
        "hostname": lambda: item.get("hostname") or item.get("name", ""),
        "pwd": lambda: item.get("workdir") or "/",
        "id": lambda: "uid=0(root) gid=0(root)",
        "uname": lambda: (
            {"amd64": "x86_64", "arm64": "aarch64", "arm": "armv7l"}.get(
                item.get("arch", ""), "x86_64"
            )
            if args[:1] == ["-m"]
            else "Linux"
        ),
        "true": lambda: "",
    }
    if head in simple:
        return simple[head](), 0
    if head == "false":
        return "", 1
    return f"sh: {head}: not found", 127
