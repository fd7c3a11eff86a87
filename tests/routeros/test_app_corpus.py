"""Every built-in app of RouterOS 7.22.3 in the corpus: its YAML must give the four fields
RouterOS stored beside it, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mikrodock.routeros.app_fields import interpret_app_yaml

CORPUS = Path(__file__).resolve().parents[2].parent / (
    "shared/routeros-schema/app-corpus/7.22.3.visible.json"
)
FIELDS = ("containers", "environment", "firewall-redirects", "required-mounts")


def _apps() -> list[dict[str, str]]:
    if not CORPUS.is_file():
        return []
    apps: list[dict[str, str]] = json.loads(CORPUS.read_text())
    return apps


APPS = _apps()


@pytest.mark.skipif(not APPS, reason=f"app corpus absent: {CORPUS}")
def test_corpus_is_not_trivial() -> None:
    assert len(APPS) >= 40
    assert all(app.get("yaml") for app in APPS)


@pytest.mark.skipif(not APPS, reason=f"app corpus absent: {CORPUS}")
@pytest.mark.parametrize("app", APPS, ids=[app["name"] for app in APPS])
@pytest.mark.parametrize("field", FIELDS)
def test_app_field_matches_routeros(app: dict[str, str], field: str) -> None:
    computed = interpret_app_yaml(app["yaml"])
    assert computed[field] == app[field]
