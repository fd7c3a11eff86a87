"""The hostile-input corpus: inputs an attacker or a typo gives the CLI, and what must happen.

Each :class:`Case` is a CLI command line plus the files it reads (made in a scratch folder by
:func:`materialize`). ``refuse`` cases must end with a one-line error and exit 2 (``image
inspect`` answers a refused archive with its report and exit 1); ``accept`` cases are the
near misses that must keep working. Used by tests/hostile/test_corpus.py (in process) and
bench/bench_hostile.py (as subprocesses, timed, with peak memory).
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["CASES", "Case", "materialize"]

Maker = Callable[[Path], None]
OFFLINE = ("--dry-run", "--router-version", "7.22", "--arch", "x86_64")


@dataclass(frozen=True)
class Case:
    name: str
    group: str
    argv: tuple[str, ...]
    files: dict[str, bytes | Maker] = field(default_factory=dict)
    expect: str = "refuse"  # or "accept"
    codes: tuple[int, ...] = (2,)


def materialize(case: Case, folder: Path) -> None:
    for name, content in case.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content(path)
        else:
            path.write_bytes(content)


# --- YAML ---------------------------------------------------------------------------------

LAUGHS = "\n".join(
    [
        'a: &a ["l","l","l","l","l","l","l","l","l"]',
        *(
            f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]"
            for p, n in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
).encode()
DEEP = b"x: " + b"[" * 2000 + b"]" * 2000 + b"\n"
DEEP_BLOCK = "".join(f"{'  ' * n}k{n}:\n" for n in range(400)).encode()
HUGE = b"a: " + b"x" * (2 << 20) + b"\n"
DUP = b"services:\n  web:\n    image: nginx\n  web:\n    image: redis\n"
NOT_UTF8 = b"\xff\xfe\x00services: {}\n"
RECURSIVE = b"a: &a [*a]\n"
NINES = "9" * 5000


def _svc(body: str) -> bytes:
    return f"services:\n  web:\n    image: nginx\n{body}".encode()


COMPOSE_BAD: dict[str, bytes] = {
    "alias-bomb": LAUGHS,
    "deep-flow": DEEP,
    "deep-block": DEEP_BLOCK,
    "2-MiB": HUGE,
    "duplicate-service": DUP,
    "not-utf8": NOT_UTF8,
    "recursive-alias": RECURSIVE,
    "port-5000-digits": _svc(f"    ports: ['{NINES}:80']\n"),
    "port-5000-digits-int": _svc(f"    ports: [{NINES}]\n"),
    "port-full-width": _svc("    ports: ['８０:80']\n"),
    "port-99999": _svc("    ports: ['99999:80']\n"),
    "healthcheck-retries-negative": _svc("    healthcheck: {test: [CMD, x], retries: -1}\n"),
    "healthcheck-timeout-nan": _svc("    healthcheck: {test: [CMD, x], timeout: nan}\n"),
    "image-port-99999": b"services:\n  web:\n    image: localhost:99999/nginx\n",
    "relative-working-dir": _svc("    working_dir: rel\n"),
    "hostname-space": _svc("    hostname: a b\n"),
    "services-list": b"services: [1, 2]\n",
    "service-scalar": b"services:\n  web: 5\n",
    "complex-key": b"services:\n  ? [a]\n  : {image: x}\n",
    "restart-huge": _svc(f"    restart: on-failure:{NINES}\n"),
    "env-list-of-maps": _svc("    environment: [1, {a: b}]\n"),
    "container-name-dotdot": _svc("    container_name: ../../x\n"),
    "interpolation-unset": _svc("    command: ${X_UNSET_FOR_TEST:?${Y}}\n"),
}
COMPOSE_GOOD: dict[str, bytes] = {
    # fields mikrodock does not carry to the router: ignored, never parsed, so never a crash
    "mem-1e999-ignored": _svc("    mem_limit: 1e999\n"),
    "stop-grace-negative-ignored": _svc("    stop_grace_period: -5s\n"),
    "anchors-and-merge": (
        b"x-base: &x {image: nginx}\nservices:\n  web:\n    <<: *x\n    ports: ['8080:80']\n"
    ),
    "plain": _svc("    ports: ['8080:80']\n    working_dir: /app\n    hostname: web-1\n"),
}

LAB_BAD: dict[str, bytes] = {
    "alias-bomb": LAUGHS,
    "deep-flow": DEEP,
    "duplicate-router": b"routers:\n  r1: {}\n  r1: {}\n",
    "not-utf8": NOT_UTF8,
    "2-MiB": HUGE,
}


def _yaml_cases() -> list[Case]:
    cases = []
    for name, text in COMPOSE_BAD.items():
        files: dict[str, bytes | Maker] = {"compose.yaml": text}
        cases.append(
            Case(
                f"compose config: {name}",
                "compose",
                ("compose", "-f", "compose.yaml", "config"),
                files,
            )
        )
        if name in ("alias-bomb", "deep-flow", "duplicate-service", "2-MiB", "port-5000-digits"):
            cases.append(
                Case(f"app convert: {name}", "app", ("app", "convert", "compose.yaml"), files)
            )
            cases.append(
                Case(f"app validate: {name}", "app", ("app", "validate", "compose.yaml"), files)
            )
    for name, text in COMPOSE_GOOD.items():
        cases.append(
            Case(
                f"compose config: {name}",
                "compose",
                ("compose", "-f", "compose.yaml", "config"),
                {"compose.yaml": text},
                expect="accept",
                codes=(0,),
            )
        )
    for name, text in LAB_BAD.items():
        cases.append(
            Case(
                f"lab export: {name}",
                "lab",
                ("lab", "export", "--containerlab", "lab.yaml", "-o", "out.clab.yml"),
                {"lab.yaml": text},
            )
        )
    return cases


# --- run flags ----------------------------------------------------------------------------

RUN_BAD: dict[str, tuple[str, ...]] = {
    "stop-timeout-negative": ("--stop-timeout", "-5"),
    "env-file-binary": ("--env-file", "bin.env"),
    "port-full-width": ("-p", "８０:80"),
    "port-trailing": ("-p", "80:80x"),
    "port-trailing-newline": ("-p", "80:80\n"),
    "port-5000-digits": ("-p", f"{NINES}:80"),
    "memory-empty": ("--memory", ""),
    "memory-1k": ("--memory", "1k"),
    "memory-too-large": ("--memory", "99999999999999g"),
    "memory-5000-digits": ("--memory", NINES),
    "cpuset-reversed": ("--cpuset-cpus", "5-1"),
    "health-retries-negative": ("--health-retries", "-1"),
    "health-timeout-nan": ("--health-timeout", "nan"),
    "health-interval-huge": ("--health-interval", NINES),
    "hostname-space": ("--hostname", "a b"),
    "workdir-relative": ("-w", "rel"),
    "root-dir-dotdot": ("--root-dir", "../../.."),
    "volume-dotdot": ("-v", "../../rw:/x"),
    "volume-root": ("-v", "/:/x"),
    "add-host-garbage": ("--add-host", "x:999.1.1.1"),
    "dns-garbage": ("--dns", "not-an-ip"),
    "ip-garbage": ("--ip", "1.2.3"),
    "restart-huge": ("--restart", f"on-failure:{NINES}"),
    "name-unicode": ("--name", "wéb"),
}


def _run_cases() -> list[Case]:
    files: dict[str, bytes | Maker] = {"bin.env": b"\xff\xfe\x00\x01A=1\n"}
    cases = [
        Case(f"run {name}", "run flags", ("run", *OFFLINE, *flags, "nginx"), files)
        for name, flags in RUN_BAD.items()
    ]
    cases.append(
        Case("run image-port-99999", "run flags", ("run", *OFFLINE, "localhost:99999/nginx"))
    )
    cases.append(
        Case(
            "run near misses",
            "run flags",
            (
                "run",
                *OFFLINE,
                "-p",
                "8080:80",
                "--memory",
                "64m",
                "--cpuset-cpus",
                "0-1",
                "--hostname",
                "web-1",
                "-w",
                "/app",
                "--stop-timeout",
                "5",
                "nginx",
            ),
            expect="accept",
            codes=(0,),
        )
    )
    return cases


# --- image archives -----------------------------------------------------------------------

Entry = tuple[str, bytes, str, int]


def _layer(entries: list[Entry]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, kind, link, mode in entries:
            info = tarfile.TarInfo(name)
            info.type, info.linkname, info.mode = kind, link, mode
            data = b"x" if kind == tarfile.REGTYPE else b""
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data else None)
    return buffer.getvalue()


def _archive(
    entries: list[Entry], manifest_patch: Callable[[list[dict[str, object]]], object] | None = None
) -> Maker:
    def make(path: Path) -> None:
        layer = _layer(
            [("bin", tarfile.DIRTYPE, "", 0o755), ("bin/sh", tarfile.REGTYPE, "", 0o755), *entries]
        )
        config = json.dumps(
            {
                "architecture": "amd64",
                "os": "linux",
                "rootfs": {
                    "type": "layers",
                    "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()],
                },
            }
        ).encode()
        config_name = hashlib.sha256(config).hexdigest() + ".json"
        manifest: object = [{"Config": config_name, "RepoTags": ["t:1"], "Layers": ["layer.tar"]}]
        if manifest_patch is not None:
            manifest = manifest_patch(manifest)  # type: ignore[arg-type]
        with tarfile.open(path, "w") as tar:
            for name, data in (
                ("layer.tar", layer),
                (config_name, config),
                ("manifest.json", json.dumps(manifest).encode()),
            ):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))

    return make


def _set(key: str, value: object) -> Callable[[list[dict[str, object]]], object]:
    def patch(manifest: list[dict[str, object]]) -> object:
        manifest[0][key] = value
        return manifest

    return patch


ARCHIVES_BAD: dict[str, Maker | bytes] = {
    "entry-dotdot": _archive([("../../../x", tarfile.REGTYPE, "", 0o644)]),
    "entry-inner-dotdot": _archive([("bin/../../x", tarfile.REGTYPE, "", 0o644)]),
    "hardlink-out": _archive([("bin/shadow", tarfile.LNKTYPE, "../../etc/shadow", 0o644)]),
    "symlink-out": _archive([("bin/up", tarfile.SYMTYPE, "../../../etc", 0o777)]),
    "device-node": _archive([("dev/mem", tarfile.CHRTYPE, "", 0o666)]),
    "layer-absolute": _archive([], _set("Layers", ["/etc/passwd"])),
    "layer-dotdot": _archive([], _set("Layers", ["../other.tar"])),
    "config-not-text": _archive([], _set("Config", 5)),
    "layers-not-list": _archive([], _set("Layers", "layer.tar")),
    "manifest-object": _archive([], lambda m: {"not": "a list"}),
    "manifest-of-numbers": _archive([], lambda m: [1, 2]),
    "garbage": b"\x00\x01garbage" * 100,
    "empty": b"",
}


def _archive_cases() -> list[Case]:
    cases = []
    for name, make in ARCHIVES_BAD.items():
        files: dict[str, bytes | Maker] = {"image.tar": make}
        save = ("image", "save", "--from-archive", "image.tar", "--arch", "x86_64", "-o", "out.tar")
        cases.append(Case(f"image save: {name}", "image archives", save, files))
        cases.append(
            Case(
                f"image inspect: {name}",
                "image archives",
                ("image", "inspect", "image.tar"),
                files,
                codes=(1, 2),
            )
        )
    setuid = {"image.tar": _archive([("bin/passwd", tarfile.REGTYPE, "", 0o4755)])}
    cases.append(
        Case(
            "image inspect: setuid kept",
            "image archives",
            ("image", "inspect", "image.tar"),
            setuid,
            "accept",
            (0,),
        )
    )
    return cases


# --- CHR zips -----------------------------------------------------------------------------


def _zip_bomb(path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("chr.img", b"\0" * (1 << 20))
    body = bytearray(buffer.getvalue())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = body.index(signature)
        body[at + offset : at + offset + 4] = (0xFFFF_FFF0).to_bytes(4, "little")
    path.write_bytes(bytes(body))


def _zip_of(members: dict[str, bytes]) -> Maker:
    def make(path: Path) -> None:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle:
            for name, data in members.items():
                bundle.writestr(name, data)

    return make


ZIPS_BAD: dict[str, Maker | bytes] = {
    "4-GiB-declared": _zip_bomb,
    "not-a-zip": b"PK\x03\x04junk" * 50,
    "two-images": _zip_of({"a.img": b"x", "b.img": b"y"}),
    "no-image": _zip_of({"readme.txt": b"x"}),
    "no-partition-table": _zip_of({"chr.img": b"\0" * (2 << 20)}),
}


def _zip_cases() -> list[Case]:
    return [
        Case(
            f"chr run --image: {name}",
            "CHR zips",
            ("chr", "run", "--image", "chr.img.zip", "hostile"),
            {"chr.img.zip": make},
        )
        for name, make in ZIPS_BAD.items()
    ]


CASES: list[Case] = [*_yaml_cases(), *_run_cases(), *_archive_cases(), *_zip_cases()]

SIM_CASES: list[tuple[str, ...]] = [
    ("run", "-d", "--timeout", "nan", "nginx"),
    ("run", "-d", "-v", "/:/x", "nginx"),
    ("network", "create", "--subnet", "999.0.0.0/8", "n1"),
    ("network", "create", "--subnet", "10.0.0.0/99", "n1"),
    ("network", "create", "--subnet", "::1/64", "n1"),
]
"""Command lines that need a router (the simulator): each must be refused with exit 2."""
