"""/app fields for cases the 7.22.3 corpus does not show (inferred; see docs/APP-YAML.md)."""

from __future__ import annotations

import pytest

from mikrodock.routeros.app_fields import AppPort, interpret_app_yaml, parse_app_port
from mikrodock.routeros.yaml_nodes import YamlError


def fields(yaml_text: str) -> dict[str, str]:
    return interpret_app_yaml(yaml_text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8080:80", "8080:80:tcp"),
        ("8080:80:web", "8080:80:tcp:web"),
        ("53:53/udp:dns", "53:53:udp:dns"),
        ("53:53/udp", "53:53:udp"),
        ("9200:9200:rest api", "9200:9200:tcp:rest api"),
        # the RouterOS 7.23 style: label first, protocol last
        ("8080:80:web:udp", "8080:80:udp:web"),
        ("8080:80:udp", "8080:80:udp"),
        # an address in front stays in front
        ("192.168.88.1:53:53/udp:dns", "192.168.88.1:53:53:udp:dns"),
        ("10.0.0.1:8080:80", "10.0.0.1:8080:80:tcp"),
        ("[accessIP]:[accessPort]:80/tcp:web", "[accessIP]:[accessPort]:80:tcp:web"),
        ("[accessIP]:[accessPort]:80:web:tcp", "[accessIP]:[accessPort]:80:tcp:web"),
        # a placeholder as the host port is not an address
        ("[accessPort]:80:web", "[accessPort]:80:tcp:web"),
        ("80", "80:80:tcp"),
    ],
)
def test_short_port_forms(text: str, expected: str) -> None:
    assert parse_app_port(text).field_text() == expected


def test_long_form_ports() -> None:
    yaml_text = """
services:
  web:
    image: nginx
    ports:
      - target: 80
        published: 8080
        name: web
        app_protocol: http
      - target: 53
        published: 5353
        protocol: udp
      - target: 443
"""
    assert fields(yaml_text)["firewall-redirects"] == "8080:80:tcp:web,5353:53:udp,443:443:tcp"


def test_ports_follow_document_order_of_services() -> None:
    yaml_text = """
services:
  web:
    image: a
    ports: ["8081:8080:web"]
  agent:
    image: b
    ports: ["10050:10050:agent"]
"""
    assert fields(yaml_text)["firewall-redirects"] == "8081:8080:tcp:web,10050:10050:tcp:agent"


def test_repeated_volume_names_are_kept() -> None:
    yaml_text = """
services:
  b:
    image: x
    volumes: [data:/data, www:/var/www]
  a:
    image: y
    volumes: [data:/srv, www:/www:ro, /etc/ntfy:/etc/ntfy, ./rel:/rel]
"""
    assert fields(yaml_text)["required-mounts"] == "data,www,/etc/ntfy,./rel,data,www"


def test_environment_bare_keys_and_empty_values() -> None:
    yaml_text = """
services:
  a:
    image: x
    environment:
      - PLAIN
      - K=V
      - EMPTY=
  b:
    image: y
    environment:
      NULLED:
      QUOTED_EMPTY: ""
      LITERAL_NULL: null
      FLAG: true
      OCTAL: 0755
"""
    assert fields(yaml_text)["environment"] == (
        "a:PLAIN,a:K=V,a:EMPTY,b:FLAG=true,b:LITERAL_NULL=null,b:NULLED,b:OCTAL=0755,b:QUOTED_EMPTY"
    )


def test_identical_entries_merge_and_a_service_is_named_once() -> None:
    yaml_text = """
services:
  web:
    image: x
    environment: [A=1, A=1, B=2]
  db:
    image: y
    environment: {A: 1, B: 3}
"""
    assert fields(yaml_text)["environment"] == "db,web:A=1,db:B=3,web:B=2"


def test_entrypoint_and_container_name_do_not_change_containers() -> None:
    yaml_text = """
services:
  svc:
    image: docker.io/library/alpine:3
    container_name: other-name
    entrypoint: ["/bin/sh", "-c"]
    command: echo hi
  lst:
    image: alpine
    entrypoint: /init
    command: [a, b]
"""
    assert fields(yaml_text)["containers"] == (
        "lst:none:alpine,svc:none:docker.io/library/alpine:3:echo hi"
    )


def test_services_sort_by_bytes() -> None:
    yaml_text = "services:\n  b: {image: i}\n  B: {image: i}\n  a-1: {image: i}\n  a: {image: i}\n"
    assert fields(yaml_text)["containers"] == "B:none:i,a:none:i,a-1:none:i,b:none:i"


def test_empty_sections() -> None:
    yaml_text = "services:\n  a:\n    image: i\n    environment:\n    volumes:\n    ports:\n"
    assert fields(yaml_text) == {
        "containers": "a:none:i",
        "environment": "",
        "firewall-redirects": "",
        "required-mounts": "",
    }


def test_bad_yaml_names_the_line() -> None:
    with pytest.raises(YamlError) as info:
        fields("services:\n  a:\n    image: [unclosed\n")
    assert info.value.line is not None
    assert "line" in str(info.value)


def test_no_services_is_an_error() -> None:
    with pytest.raises(YamlError, match="services"):
        fields("name: x\n")


def test_port_dataclass_text() -> None:
    assert AppPort("1", "2", "udp", "x", "1.2.3.4").field_text() == "1.2.3.4:1:2:udp:x"


def test_anchors_and_merge_keys() -> None:
    yaml_text = """
services:
  a:
    image: i
    environment: &common
      SHARED: "1"
      OTHER: x
  b:
    image: j
    environment:
      <<: *common
      OTHER: y
      OWN: z
  c:
    image: k
    environment: *common
"""
    assert fields(yaml_text)["environment"] == "a,c:OTHER=x,a,b,c:SHARED=1,b:OTHER=y,b:OWN=z"
