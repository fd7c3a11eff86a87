"""`app validate`: the /app schema per RouterOS version, problems with line numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mikrodock.compose.validate import check_app_yaml, validate_app_yaml
from mikrodock.errors import UnsupportedError
from mikrodock.routeros.yaml_nodes import YamlError

CORPUS = Path(__file__).resolve().parents[2].parent / (
    "shared/routeros-schema/app-corpus/7.22.3.visible.json"
)

BAD = """\
name: demo
category: toys
services:
  web:
    imag: nginx
    ports:
      - 8080:80/sctp
      - "8081:80:web"
      - target: 80
    restart: sometimes
  bad name:
    image: x
"""


@pytest.mark.skipif(not CORPUS.is_file(), reason=f"app corpus absent: {CORPUS}")
def test_every_built_in_app_is_valid() -> None:
    for app in json.loads(CORPUS.read_text()):
        assert validate_app_yaml(app["yaml"], router_version="7.22.3") == [], app["name"]


def test_problems_name_their_lines() -> None:
    issues = {(issue.line, issue.message.split(":")[0]) for issue in validate_app_yaml(BAD)}
    assert (2, "'toys' is not one of") in issues
    assert (4, "missing image") in issues
    assert (5, "unknown key 'imag'") in issues
    assert (7, "bad port '8080") in issues
    assert (9, "missing published") in issues
    assert (10, "'sometimes' is not one of") in issues
    assert (11, "name 'bad name' may hold only letters, digits, '_' and '-'") in issues
    assert all(issue.line for issue in validate_app_yaml(BAD))


def test_good_ports_of_both_styles() -> None:
    text = (
        "services:\n  a:\n    image: x\n    ports:\n"
        "      - 8080:80\n      - 53:53/udp:dns\n      - 53:53:dns:udp\n"
        "      - 192.168.88.1:80:80:web\n      - '[accessIP]:[accessPort]:80/tcp:web'\n"
    )
    assert validate_app_yaml(text) == []


def test_router_without_app_add_is_refused() -> None:
    with pytest.raises(UnsupportedError, match=r"7\.22"):
        validate_app_yaml("services: {a: {image: x}}", router_version="7.21.5")


def test_check_raises_the_first_problem_with_its_line() -> None:
    with pytest.raises(YamlError) as info:
        check_app_yaml(BAD, source="app.yaml")
    assert info.value.line == 2
    assert str(info.value).startswith("app.yaml:2: ")
    assert "more" in str(info.value)


def test_syntax_error_has_a_line() -> None:
    with pytest.raises(YamlError) as info:
        validate_app_yaml("services:\n  a:\n    image: 'unclosed\n")
    assert info.value.line is not None
