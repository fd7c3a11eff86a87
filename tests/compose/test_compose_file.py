"""Loading compose files: every supported key, interpolation, and line-numbered errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from mikrodock.compose.compose_file import find_compose_file, load_compose, load_compose_text
from mikrodock.compose.model import ComposePort, ComposeProject, ComposeVolume
from mikrodock.routeros.yaml_nodes import YamlError

FULL = """\
name: Shop_Front
services:
  web:
    image: nginx:${TAG:-1.27}
    container_name: front
    hostname: www
    user: "101:101"
    working_dir: /srv
    ports:
      - "8080:80"
      - 127.0.0.1:8443:443/tcp
      - "5353:53/udp"
      - target: 9000
        published: 9001
        name: metrics
    environment:
      LEVEL: ${LEVEL:?set LEVEL}
      LITERAL: "$$HOME"
      FROM_SHELL:
    env_file: [web.env]
    volumes:
      - data:/data
      - ./site:/usr/share/nginx/html:ro
      - /srv/logs:/logs
      - type: tmpfs
        target: /cache
    command: nginx -g "daemon off;"
    entrypoint: ["/docker-entrypoint.sh"]
    restart: unless-stopped
    depends_on:
      db:
        condition: service_healthy
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost"]
      interval: 1m30s
      timeout: 5s
      retries: 3
      start_period: 500ms
    devices: [/dev/net/tun]
    shm_size: 64m
    tmpfs: [/run, /tmp]
    networks: [back]
    configs:
      - source: site_conf
        target: /etc/nginx/conf.d/site.conf
        mode: 0440
    cap_add: [NET_ADMIN]
  db:
    image: postgres:16
    environment:
      - POSTGRES_PASSWORD=${DB_PASSWORD}
      - BARE
    command: [postgres, -c, shared_buffers=64MB]
volumes:
  data: {}
networks:
  back: {}
configs:
  site_conf:
    content: |
      server_name ${HOST_NAME:-shop} $$host;
"""


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    (tmp_path / "compose.yaml").write_text(FULL)
    (tmp_path / ".env").write_text("TAG=1.25\nDB_PASSWORD=from-dotenv\nLEVEL=info\n")
    (tmp_path / "web.env").write_text("# web settings\nW=1\nLEVEL=overridden\n")
    return tmp_path


def test_full_file(project_dir: Path) -> None:
    env = {"DB_PASSWORD": "from-shell", "FROM_SHELL": "yes", "BARE": "bare"}
    project = load_compose(project_dir / "compose.yaml", environ=env)
    assert project.name == "shop_front"
    web, db = project.services
    assert web.image == "nginx:1.25"  # .env
    assert web.line == 3
    assert web.container_name == "front" and web.hostname == "www" and web.user == "101:101"
    assert web.working_dir == "/srv"
    assert web.ports == (
        ComposePort(target=80, published=8080, line=10),
        ComposePort(target=443, published=8443, host_ip="127.0.0.1", line=11),
        ComposePort(target=53, published=5353, protocol="udp", line=12),
        ComposePort(target=9000, published=9001, name="metrics", line=13),
    )
    # env_file first, then environment: (which wins), bare keys from the shell
    assert dict(web.environment) == {
        "W": "1",
        "LEVEL": "info",
        "LITERAL": "$HOME",
        "FROM_SHELL": "yes",
    }
    assert dict(db.environment) == {"POSTGRES_PASSWORD": "from-shell", "BARE": "bare"}
    assert web.volumes == (
        ComposeVolume(type="volume", source="data", target="/data", line=22),
        ComposeVolume(
            type="bind", source="./site", target="/usr/share/nginx/html", read_only=True, line=23
        ),
        ComposeVolume(type="bind", source="/srv/logs", target="/logs", line=24),
        ComposeVolume(type="tmpfs", target="/cache", line=25),
    )
    assert web.command == 'nginx -g "daemon off;"'
    assert web.entrypoint == ("/docker-entrypoint.sh",)
    assert db.command == ("postgres", "-c", "shared_buffers=64MB")
    assert web.restart == "unless-stopped"
    assert web.depends_on == ("db",)
    assert web.healthcheck is not None
    assert web.healthcheck.test == ("CMD", "curl", "-f", "http://localhost")
    assert (web.healthcheck.interval, web.healthcheck.timeout) == (90.0, 5.0)
    assert (web.healthcheck.retries, web.healthcheck.start_period) == (3, 0.5)
    assert web.devices == ("/dev/net/tun",)
    assert web.shm_size == 64 * 1024 * 1024
    assert web.tmpfs == ("/run", "/tmp")
    assert web.networks == ("back",)
    assert web.configs[0].target == "/etc/nginx/conf.d/site.conf"
    assert web.configs[0].mode == 0o440
    assert project.configs[0].content == "server_name shop $host;\n"
    assert web.ignored == (("cap_add", 47),)
    assert [s.name for s in project.start_order()] == ["db", "web"]


def test_project_name_option_wins(project_dir: Path) -> None:
    project = load_compose(
        project_dir / "compose.yaml", project_name="Other", environ={"DB_PASSWORD": "x"}
    )
    assert project.name == "other"


def test_finds_the_default_file(project_dir: Path) -> None:
    assert find_compose_file(project_dir) == project_dir / "compose.yaml"
    with pytest.raises(YamlError, match="no compose file"):
        find_compose_file(project_dir / "nowhere")


def error_of(text: str, environ: dict[str, str] | None = None) -> YamlError:
    with pytest.raises(YamlError) as info:
        load_compose_text(
            text, source="c.yaml", base_dir=Path("/nonexistent"), environ=environ or {}
        )
    return info.value


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("services:\n  a:\n    image: x\n    imagee: y\n", 4, "unknown key 'imagee'"),
        ("servics: {}\n", 1, "unknown top-level key"),
        ("services:\n  a:\n    ports: ['80:80']\n", 2, "has no image"),
        ("services:\n  a:\n    image: x\n    ports:\n      - '99999:80'\n", 5, "out of range"),
        ("services:\n  a:\n    image: x\n    ports:\n      - 'http:80'\n", 5, "not a number"),
        ("services:\n  a:\n    image: x\n    ports:\n      - '80:80/sctp'\n", 5, "sctp"),
        ("services:\n  a:\n    image: x\n    ports: ['8000-8002:80-81']\n", 4, "lengths"),
        ("services:\n  a:\n    image: ${IMAGE}\n", 3, "variable IMAGE is not set"),
        ("services:\n  a:\n    image: x\n    environment:\n      A: ${P:?give P}\n", 5, "give P"),
        ("services:\n  a:\n    image: x$\n", 3, "lone $"),
        ("services:\n  a:\n    image: x\n    volumes: [db:/data]\n", 4, "not declared"),
        ("services:\n  a:\n    image: x\n    volumes: ['data:relative']\n", 4, "absolute"),
        ("services:\n  a:\n    image: x\n    depends_on: [b]\n", 2, "unknown service"),
        (
            "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: y\n"
            "    depends_on: [a]\n",
            2,
            "cycle",
        ),
        ("services:\n  a:\n    image: x\n    restart: sometimes\n", 4, "restart policy"),
        ("services:\n  a:\n    image: x\n    networks: [front]\n", 4, "not declared"),
        (
            "services:\n  a:\n    image: x\n    healthcheck:\n      interval: soon\n",
            5,
            "bad duration",
        ),
        ("services:\n  a:\n    image: x\n    env_file: missing.env\n", 4, "not found"),
        ("services:\n  a:\n    image: [x\n", 3, "YAML syntax error"),
    ],
)
def test_bad_files_name_the_line(text: str, line: int, words: str) -> None:
    error = error_of(text)
    assert error.line == line, str(error)
    assert words in str(error)
    assert str(error).startswith(f"c.yaml:{line}: ")
    assert error.hint


def test_default_and_alternative_values() -> None:
    text = (
        "services:\n  a:\n    image: x\n    environment:\n"
        "      D: ${UNSET:-dflt}\n      E: ${EMPTY:-dflt}\n      F: ${EMPTY-dflt}\n"
        "      G: ${SET:+alt}\n      H: $SET\n"
    )
    project = load_compose_text(
        text, base_dir=Path("/nonexistent"), environ={"EMPTY": "", "SET": "s"}
    )
    assert dict(project.services[0].environment) == {
        "D": "dflt",
        "E": "dflt",
        "F": "",
        "G": "alt",
        "H": "s",
    }


def test_config_output_reads_back_the_same(project_dir: Path) -> None:
    from mikrodock.compose.render import dump_yaml, project_to_dict

    env = {"DB_PASSWORD": "pa$$word", "FROM_SHELL": "yes"}
    project = load_compose(project_dir / "compose.yaml", environ=env)
    text = dump_yaml(project_to_dict(project))
    again = load_compose_text(text, base_dir=Path("/nonexistent"), environ={})
    assert [s.environment for s in again.services] == [s.environment for s in project.services]

    def shapes(p: ComposeProject) -> list[list[str]]:
        return [[f"{port.short()} {port.name}" for port in s.ports] for s in p.services]

    assert shapes(again) == shapes(project)
    assert again.configs[0].content == project.configs[0].content
    assert dict(again.services[1].environment)["POSTGRES_PASSWORD"] == "pa$$word"


def test_extension_fields_and_merge_keys() -> None:
    text = """
x-common: &common
  image: busybox:1.36
  restart: always
  environment:
    TZ: UTC
services:
  a:
    <<: *common
    command: sleep 1
  b:
    <<: *common
    image: alpine:3
"""
    project = load_compose_text(text, base_dir=Path("/nonexistent"), environ={})
    a, b = project.services
    assert (a.image, a.restart, a.command, dict(a.environment)) == (
        "busybox:1.36",
        "always",
        "sleep 1",
        {"TZ": "UTC"},
    )
    assert (b.image, b.restart) == ("alpine:3", "always")
