"""A Docker build context for an image that runs one RouterOS CHR with mikrodock in front.

:func:`render_context` is pure: it turns a :class:`DockerImageSpec` into the text of each file
(``Dockerfile``, ``entrypoint.sh``, ``.dockerignore``, ``README.md``; ``docker-compose.yml`` on
request). :func:`write_context` writes them and copies a local CHR image or a mikrodock wheel
beside them when the spec names one.

The image's entrypoint is ``mikrodock chr serve``: QEMU under KVM when the container gets a
working ``/dev/kvm``, TCG otherwise; every port in :data:`CONTAINER_PORTS` forwarded from the
container's interface into the router; the router's disk on the volume
``$MIKRODOCK_HOME/state``; ``docker stop`` (SIGTERM) powers the router down through ACPI.
"""

from __future__ import annotations

import json
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML

from mikrodock._version import __version__
from mikrodock.errors import UsageError

__all__ = [
    "CONTAINER_PORTS",
    "DATA_LINKS_ENV",
    "HOME",
    "MANAGEMENT_PORTS",
    "STARTUP_PATH",
    "STATE_VOLUME",
    "VPN_PORTS",
    "DockerImageSpec",
    "render_compose",
    "render_context",
    "resolve_version",
    "write_context",
]

MANAGEMENT_PORTS: tuple[int, ...] = (22, 23, 80, 443, 8291, 8728, 8729)
"""SSH, telnet, WebFig/REST, WebFig/REST over TLS, WinBox, API, API-SSL (all TCP)."""

VPN_PORTS: tuple[tuple[int, str], ...] = (
    (1194, "tcp"),  # OpenVPN
    (1194, "udp"),
    (1701, "udp"),  # L2TP
    (1723, "tcp"),  # PPTP
    (13231, "udp"),  # WireGuard (RouterOS's usual listen port)
    (500, "udp"),  # IPsec IKE
    (4500, "udp"),  # IPsec NAT-T
)

CONTAINER_PORTS: tuple[tuple[int, str], ...] = (
    *((port, "tcp") for port in MANAGEMENT_PORTS),
    *VPN_PORTS,
)
"""Every (port, protocol) the image forwards from the container's interface into the router."""

DATA_LINKS_ENV = "MIKRODOCK_DATA_LINKS"
"""``ether2=10.253.0.0/29,...``: the container interface in that subnet is the router's etherN
(compose labs); without it, containerlab's rule holds: ethN is ether(N+1)"""
HOME = "/var/lib/mikrodock"
STATE_VOLUME = f"{HOME}/state"
SECRET_NAME = "routeros_admin_password"
STARTUP_PATH = "/config/startup.rsc"
SNAPSHOT_DIR = f"{HOME}/snapshot"
MANAGEMENT_HOST_OFFSET = 10000
"""docker-compose.yml publishes management port P on 127.0.0.1:(P + 10000)."""

_QEMU_PACKAGES = {
    "x86_64": ("qemu-system-x86", "qemu-utils", "iproute2"),
    "aarch64": ("qemu-system-arm", "qemu-efi-aarch64", "qemu-utils", "iproute2"),
}
_NEEDED_COMMANDS = {"x86_64": "qemu-system-x86_64", "aarch64": "qemu-system-aarch64"}
VENV = "/opt/mikrodock"
WHEELHOUSE_DIR = "wheelhouse"


@dataclass(frozen=True)
class DockerImageSpec:
    """What the generated image holds and how its router starts."""

    version: str
    """the RouterOS version pulled at build time (or the label of a local image)"""
    arch: str = "x86_64"
    image_file: Path | None = None
    """a local CHR image baked into the image instead of one pulled at build time"""
    wheel: Path | None = None
    """a mikrodock wheel installed instead of ``mikrodock==<this version>`` from PyPI"""
    memory: str = "256M"
    cpus: int = 1
    base_image: str = "python:3.11-slim-bookworm"
    """a Debian-based image with python3; QEMU, qemu-img and iproute2 are installed with apt
    unless it has them already"""
    wheelhouse: Path | None = None
    """a folder of wheels (mikrodock and its dependencies): installed with no package index"""
    stop_timeout: int = 50
    """seconds the router gets to power down after SIGTERM (compose allows it 60)"""
    snapshot: bool = False
    """boot the router once during the build and bake its memory snapshot into the image, so a
    container resumes it instead of booting (x86_64)"""
    snapshot_nics: int = 0
    """data interfaces in the baked snapshot: a container with another number boots cold"""

    def __post_init__(self) -> None:
        if self.arch not in _QEMU_PACKAGES:
            raise UsageError(f"unknown architecture {self.arch!r}", hint="use x86_64 or aarch64")
        if self.cpus < 1:
            raise UsageError(f"--cpus {self.cpus} is not possible", hint="give 1 or more")
        if not self.version or any(c.isspace() or c in "\"'$`\\" for c in self.version):
            raise UsageError(f"bad RouterOS version {self.version!r}", hint="e.g. 7.22.3")
        if not self.base_image or any(c.isspace() or c in "\"'$`\\" for c in self.base_image):
            raise UsageError(f"bad --base-image {self.base_image!r}", hint="e.g. debian:bookworm")
        if self.snapshot and self.arch != "x86_64":
            raise UsageError(
                "--snapshot is for x86_64 images", hint="leave --snapshot out for aarch64"
            )
        if not 0 <= self.snapshot_nics <= 8:
            raise UsageError(f"--snapshot-nics {self.snapshot_nics}", hint="give 0 to 8")
        if self.snapshot_nics and not self.snapshot:
            raise UsageError("--snapshot-nics is for --snapshot images", hint="add --snapshot")
        if self.wheel is not None and self.wheelhouse is not None:
            raise UsageError("--wheel and --wheelhouse contradict", hint="give one of them")

    @property
    def tag(self) -> str:
        suffix = "" if self.arch == "x86_64" else "-arm64"
        return f"mikrodock-chr:{self.version}{suffix}"

    @property
    def image_name(self) -> str:
        """The file name of the baked local image inside the build context."""
        if self.image_file is None:
            return ""
        name = self.image_file.name.lower()
        ext = ".img.zip" if name.endswith(".img.zip") else Path(name).suffix
        return f"chr-image{ext}"


def resolve_version(reference: str) -> str:
    """A version stays itself; a channel (stable, long-term, ...) becomes its newest version, so
    the generated image is reproducible."""
    from mikrodock.chr.download import resolve_version as resolve

    return resolve(reference)


def _exec_form(argv: list[str]) -> str:
    return json.dumps(argv)


def _serve_argv(spec: DockerImageSpec) -> list[str]:
    source = [f"{HOME}/{spec.image_name}"] if spec.image_file else [spec.version]
    flag = ["--image"] if spec.image_file else []
    return ["mikrodock", "chr", "serve", *flag, *source, "--arch", spec.arch]


def render_dockerfile(spec: DockerImageSpec) -> str:
    packages = " ".join(_QEMU_PACKAGES[spec.arch])
    needed = " ".join((_NEEDED_COMMANDS[spec.arch], "qemu-img", "tc"))
    lines = [
        "# syntax=docker/dockerfile:1",
        f"# RouterOS CHR {spec.version} ({spec.arch}) run by mikrodock {__version__}.",
        "# Generated by `mikrodock chr dockerfile`; see README.md beside this file.",
        f"FROM {spec.base_image}",
        "",
        "# QEMU, qemu-img and tc (iproute2), from Debian unless the base image has them.",
        f"RUN missing=; for c in {needed}; do command -v $c >/dev/null || missing=1; done; \\",
        '    if [ -n "$missing" ]; then apt-get update \\',
        f"      && apt-get install -y --no-install-recommends {packages} \\",
        "      && rm -rf /var/lib/apt/lists/*; fi",
        "",
    ]
    venv = f"python3 -m venv {VENV}"
    pip = f"{VENV}/bin/pip install --no-cache-dir"
    if spec.wheelhouse is not None:
        lines += [
            f"COPY {WHEELHOUSE_DIR} /tmp/{WHEELHOUSE_DIR}",
            f"RUN {venv} && {pip} --no-index --find-links /tmp/{WHEELHOUSE_DIR} mikrodock \\",
            f" && rm -rf /tmp/{WHEELHOUSE_DIR}",
        ]
    elif spec.wheel is not None:
        lines += [
            f"COPY {spec.wheel.name} /tmp/",
            f"RUN {venv} && {pip} /tmp/{spec.wheel.name} && rm /tmp/{spec.wheel.name}",
        ]
    else:
        lines += [
            f'ARG MIKRODOCK_REQUIREMENT="mikrodock=={__version__}"',
            f'RUN {venv} && {pip} "$MIKRODOCK_REQUIREMENT"',
        ]
    lines += [
        "",
        f"ENV PATH={VENV}/bin:$PATH \\",
        f"    MIKRODOCK_HOME={HOME} \\",
        f"    CHR_MEMORY={spec.memory} \\",
        f"    CHR_CPUS={spec.cpus} \\",
        "    MIKRODOCK_ACCEL=auto \\",
        f"    MIKRODOCK_STOP_TIMEOUT={spec.stop_timeout}",
    ]
    if spec.image_file is not None:
        lines.append(f"COPY {spec.image_name} {HOME}/{spec.image_name}")
    else:
        lines.append(f"RUN mikrodock chr pull {spec.version} --arch {spec.arch}")
    if spec.snapshot:
        lines += _bake_lines(spec)
    ports = " ".join(f"{p}" if proto == "tcp" else f"{p}/{proto}" for p, proto in CONTAINER_PORTS)
    lines += [
        "COPY --chmod=0755 entrypoint.sh /usr/local/bin/mikrodock-entrypoint",
        "",
        "# The router's disk, password and markers: keep this volume to keep the router.",
        f'VOLUME ["{STATE_VOLUME}"]',
        f"EXPOSE {ports}",
        "STOPSIGNAL SIGTERM",
        "HEALTHCHECK --interval=15s --timeout=10s --start-period=180s --retries=3 \\",
        "  CMD " + _exec_form(["mikrodock", "chr", "health"]),
        "ENTRYPOINT " + _exec_form(["/usr/local/bin/mikrodock-entrypoint"]),
        "",
    ]
    return "\n".join(lines)


def _bake_lines(spec: DockerImageSpec) -> list[str]:
    """Boot the router once, under TCG, and keep its memory snapshot in the image; the machine
    it leaves in the state folder is removed, so the volume starts empty."""
    bake = [
        *_serve_argv(spec), "--memory", spec.memory, "--cpus", str(spec.cpus), "--accel", "tcg",
        "--bake", SNAPSHOT_DIR, "--bake-nics", str(spec.snapshot_nics),
    ]  # fmt: skip
    return [
        "",
        "# A memory snapshot of the booted router: a container resumes it instead of booting.",
        f"RUN {' '.join(bake)} \\",
        f"  && rm -rf {STATE_VOLUME}",
        f"ENV MIKRODOCK_SNAPSHOT={SNAPSHOT_DIR}",
    ]


def render_entrypoint(spec: DockerImageSpec) -> str:
    serve = " ".join(_serve_argv(spec))
    return f"""#!/bin/sh
# Entrypoint of the mikrodock CHR image: runs one RouterOS router in the foreground.
# `docker run IMAGE --accel tcg` passes extra flags to `mikrodock chr serve`;
# `docker run IMAGE sh` runs that command instead.
set -eu
case "${{1:-}}" in
    "" | -*)
        exec {serve} \\
            --memory "$CHR_MEMORY" --cpus "$CHR_CPUS" --ports container --console "$@"
        ;;
    *)
        exec "$@"
        ;;
esac
"""


def render_dockerignore(spec: DockerImageSpec) -> str:
    keep = ["Dockerfile", "entrypoint.sh"]
    if spec.wheelhouse is not None:
        keep.append(WHEELHOUSE_DIR)
    if spec.wheel is not None:
        keep.append(spec.wheel.name)
    if spec.image_file is not None:
        keep.append(spec.image_name)
    return "# Send only what the Dockerfile copies.\n*\n" + "".join(f"!{k}\n" for k in keep)


def render_readme(spec: DockerImageSpec) -> str:
    tcp = ", ".join(str(p) for p, proto in CONTAINER_PORTS if proto == "tcp")
    udp = ", ".join(str(p) for p, proto in CONTAINER_PORTS if proto == "udp")
    return f"""# RouterOS CHR {spec.version} in a container, run by mikrodock

Build and run:

    docker build -t {spec.tag} .
    docker run -d --name router --device /dev/kvm --stop-timeout 60 \\
        -v routeros-data:{STATE_VOLUME} -p 127.0.0.1:10080:80 -p 127.0.0.1:10022:22 \\
        {spec.tag}

- Without `--device /dev/kvm` (or when KVM does not work in the container) the router runs
  under TCG: slower to boot, same behaviour.
- The router answers on the container's interface on TCP {tcp} and UDP {udp};
  publish the ones you need with `-p`.
- The router's disk lives on the volume `{STATE_VOLUME}`: remove and recreate the
  container with the same volume and the router keeps its configuration. The disk is a
  standalone copy, so RouterOS upgrades made inside the router stay too.
- `docker stop` sends SIGTERM: the router is powered down through ACPI and QEMU quits after
  `MIKRODOCK_STOP_TIMEOUT` seconds ({spec.stop_timeout}); give docker a longer
  `--stop-timeout` than that.
- The health check (`mikrodock chr health`) turns true once the admin password, identity and
  startup script are applied, and stays true while the router's REST API answers.
- `docker logs` shows what mikrodock does and the router's serial console.

## Admin password

Set once, on the first start: from `MIKRODOCK_ADMIN_PASSWORD`, or from the file named by
`MIKRODOCK_ADMIN_PASSWORD_FILE` (a Docker secret: `/run/secrets/{SECRET_NAME}`).
Without either, a random password is generated and kept (mode 0600) in the volume:

    docker exec router cat {STATE_VOLUME}/machines/router/password

## Startup script

Mount a RouterOS script and name it in `MIKRODOCK_STARTUP_SCRIPT`
(`-v $PWD/startup.rsc:{STARTUP_PATH}:ro -e MIKRODOCK_STARTUP_SCRIPT={STARTUP_PATH}`).
It runs once, after the first boot; a marker on the volume keeps it from running again.

## Settings

| variable | default | meaning |
|---|---|---|
| `CHR_MEMORY` | {spec.memory} | the router's memory |
| `CHR_CPUS` | {spec.cpus} | virtual CPUs |
| `MIKRODOCK_ACCEL` | auto | auto, kvm or tcg |
| `MIKRODOCK_STOP_TIMEOUT` | {spec.stop_timeout} | seconds for the ACPI power-down |
{_readme_snapshot(spec)}"""


def _readme_snapshot(spec: DockerImageSpec) -> str:
    if not spec.snapshot:
        return ""
    return f"""
## Memory snapshot

The build booted the router once (under TCG, CPU model qemu64) and kept its memory in
`{SNAPSHOT_DIR}`. A container's first start resumes it instead of booting, then gives the
router its own MAC addresses, clock, admin password and identity. It boots cold instead, and
says why in `docker logs`, when the container asks for other hardware than the snapshot was
made with ({spec.memory} memory, {spec.cpus} CPU(s), {spec.snapshot_nics} data interface(s)),
when this QEMU is not the one that wrote it, or when QEMU refuses the state. Later starts on the
same volume boot the router's own disk.
"""


def render_compose(spec: DockerImageSpec, *, service: str = "router") -> str:
    """A docker-compose.yml for the image built from this context."""
    ports = [
        f"127.0.0.1:{p + MANAGEMENT_HOST_OFFSET}:{p}" for p, proto in CONTAINER_PORTS
        if proto == "tcp" and p in MANAGEMENT_PORTS
    ]  # fmt: skip
    ports += [f"{p}:{p}/{proto}" for p, proto in VPN_PORTS]
    document = {
        "services": {
            service: {
                "build": ".",
                "image": spec.tag,
                "restart": "unless-stopped",
                "stop_grace_period": f"{spec.stop_timeout + 10}s",
                "environment": {
                    "MIKRODOCK_ADMIN_PASSWORD_FILE": f"/run/secrets/{SECRET_NAME}",
                    "MIKRODOCK_STARTUP_SCRIPT": STARTUP_PATH,
                },
                "secrets": [SECRET_NAME],
                "volumes": [
                    f"routeros-data:{STATE_VOLUME}",
                    f"./startup.rsc:{STARTUP_PATH}:ro",
                ],
                "ports": ports,
            }
        },
        "volumes": {"routeros-data": {}},
        "secrets": {SECRET_NAME: {"file": "./admin_password.txt"}},
    }
    header = (
        f"# RouterOS CHR {spec.version} run by mikrodock: `docker compose up -d`.\n"
        f"# Management ports are published on 127.0.0.1 at port + {MANAGEMENT_HOST_OFFSET}"
        " (REST: http://127.0.0.1:10080).\n"
        "# For KVM add to the service:  devices: [/dev/kvm]\n"
    )
    return header + _dump_yaml(document)


def _dump_yaml(document: object) -> str:
    import io

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def render_context(spec: DockerImageSpec, *, compose: bool = False) -> dict[str, str]:
    """File name -> text of every generated file (pure)."""
    files = {
        "Dockerfile": render_dockerfile(spec),
        "entrypoint.sh": render_entrypoint(spec),
        ".dockerignore": render_dockerignore(spec),
        "README.md": render_readme(spec),
    }
    if compose:
        files["docker-compose.yml"] = render_compose(spec)
    return files


_STARTUP_EXAMPLE = """# RouterOS script: `mikrodock chr serve` runs it once, after the first boot.
# For example:
# /system identity set name=router
"""


def write_context(spec: DockerImageSpec, out: Path, *, compose: bool = False) -> list[Path]:
    """Write the build context into ``out`` (created if needed); returns the files written."""
    for source in (spec.image_file, spec.wheel):
        if source is not None and not source.is_file():
            raise UsageError(f"no such file {source}", hint="check the path")
    if spec.wheelhouse is not None and not any(spec.wheelhouse.glob("mikrodock-*.whl")):
        raise UsageError(
            f"no mikrodock wheel in {spec.wheelhouse}",
            hint="fill it with `pip wheel mikrodock -w DIR` (or pip download)",
        )
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} is a file", hint="give -o a folder")
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, text in render_context(spec, compose=compose).items():
        path = out / name
        path.write_text(text)
        if name == "entrypoint.sh":
            path.chmod(0o755)
        written.append(path)
    if spec.image_file is not None:
        written.append(Path(shutil.copyfile(spec.image_file, out / spec.image_name)))
    if spec.wheel is not None:
        written.append(Path(shutil.copyfile(spec.wheel, out / spec.wheel.name)))
    if spec.wheelhouse is not None:
        target = out / WHEELHOUSE_DIR
        shutil.rmtree(target, ignore_errors=True)
        written.append(Path(shutil.copytree(spec.wheelhouse, target)))
    if compose:
        written += _compose_companions(out)
    return written


def _compose_companions(out: Path) -> list[Path]:
    """The files docker-compose.yml refers to, made when missing (never overwritten)."""
    made: list[Path] = []
    script = out / "startup.rsc"
    if not script.exists():
        script.write_text(_STARTUP_EXAMPLE)
        made.append(script)
    secret = out / "admin_password.txt"
    if not secret.exists():
        secret.touch(mode=0o600)
        secret.write_text(secrets.token_urlsafe(18) + "\n")
        made.append(secret)
    return made
