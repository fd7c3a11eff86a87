"""The simulator's public names, and a malformed ``.query`` as a client meets it over REST (the
query words themselves are tested in tests/routeros/test_api_query.py)."""

from __future__ import annotations

import httpx

import mikrodock.sim


def test_a_malformed_query_is_a_400_and_a_good_one_filters(rest: httpx.Client) -> None:
    bad = rest.post("/ip/service/print", json={".query": ["name=ssh", "#&"]})
    assert bad.status_code == 400
    assert "needs two values" in bad.json()["detail"]
    either = rest.post("/ip/service/print", json={".query": ["name=ssh", "name=api", "#|"]})
    assert sorted(s["name"] for s in either.json()) == ["api", "ssh"]


def test_public_names() -> None:
    assert set(mikrodock.sim.__all__) == {
        "CANDIDATES",
        "Delays",
        "Fault",
        "Simulator",
        "parse_candidate",
        "parse_fault",
        "running",
    }
