"""`app convert`: compose -> /app YAML that RouterOS accepts, with what was dropped."""

from __future__ import annotations

from pathlib import Path

from mikrodock.compose.compose_file import load_compose_text
from mikrodock.compose.convert import compose_to_app
from mikrodock.compose.validate import validate_app_yaml
from mikrodock.routeros.app_fields import interpret_app_yaml

COMPOSE = """\
services:
  web:
    image: nginx:1.27
    ports:
      - "8080:80"
      - target: 443
        published: 8443
        name: https
      - "127.0.0.1:5353:53/udp"
      - "7000-7001:7000-7001"
      - "9000"
    environment:
      GREETING: hello, world
      PORT: "80"
    volumes:
      - data:/data
      - ./site:/usr/share/nginx/html:ro
      - /cache
    depends_on: [db]
    restart: on-failure:3
    working_dir: /srv
    healthcheck:
      test: curl -f http://localhost
      interval: 90s
    configs:
      - source: nginx_conf
        target: /etc/nginx/conf.d/default.conf
        mode: 0444
    cap_add: [NET_ADMIN]
  db:
    image: postgres:16
    command: postgres -c fsync=off
    shm_size: 256mb
volumes:
  data:
configs:
  nginx_conf:
    content: |
      server {
        listen 80;
      }
secrets:
  token:
    file: ./token
"""


def convert() -> tuple[str, list[str]]:
    project = load_compose_text(
        COMPOSE, base_dir=Path("/nonexistent"), project_name="shop", environ={}
    )
    result = compose_to_app(project)
    return result.yaml_text, [str(item) for item in result.dropped]


def test_converted_yaml_is_a_valid_app() -> None:
    yaml_text, _dropped = convert()
    assert validate_app_yaml(yaml_text, router_version="7.22.3") == []


def test_routeros_reads_it_as_intended() -> None:
    yaml_text, _dropped = convert()
    assert interpret_app_yaml(yaml_text) == {
        "containers": "db:none:postgres:16:postgres -c fsync=off,web:none:nginx:1.27",
        "environment": "web:GREETING=hello, world,web:PORT=80",
        "firewall-redirects": "8080:80:tcp,8443:443:tcp:https,127.0.0.1:5353:53:udp,"
        "7000:7000:tcp,7001:7001:tcp,9000:9000:tcp",
        "required-mounts": "data,site,web-3",
    }
    assert "name: shop\n" in yaml_text
    assert "mode: 0444" in yaml_text
    assert "content: |\n      server {\n        listen 80;\n      }\n" in yaml_text
    assert "shm_size: 256m" in yaml_text
    assert "restart: on-failure\n" in yaml_text


def test_what_is_dropped_is_said_with_lines() -> None:
    _yaml, dropped = convert()
    text = "\n".join(dropped)
    assert "line 29: service web: cap_add: /app has no such setting" in text
    assert "secrets: /app has no such section" in text
    assert "working_dir" in text
    assert "read-only" in text
    assert "folder ./site becomes the app volume 'site'" in text
    assert "anonymous volume /cache" in text
    assert "on-failure:3" in text
    assert "range 7000-7001:7000-7001" in text
    assert "9000 has no host port" in text


def test_a_huge_port_range_is_refused_not_written_out(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    compose = tmp_path / "compose.yaml"
    compose.write_text('services:\n  web:\n    image: nginx\n    ports: ["1-65535:1-65535"]\n')
    out = tmp_path / "app.yaml"
    code, _, err = run_cli("app", "convert", str(compose), "-o", str(out))
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "1-65535:1-65535 would be 65535 single ports" in err and "narrower" in err
    assert not out.exists()
