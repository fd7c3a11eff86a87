"""Image references: docker's normalisation, RouterOS's remote-image form, bad input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mikrodock.errors import UsageError
from mikrodock.images.reference import DOCKER_HUB, ImageReference, parse_reference

SHA = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("text", "registry", "repository", "tag", "digest", "remote"),
    [
        ("nginx", DOCKER_HUB, "library/nginx", "latest", None, "nginx:latest"),
        ("nginx:1.27", DOCKER_HUB, "library/nginx", "1.27", None, "nginx:1.27"),
        ("docker.io/nginx", DOCKER_HUB, "library/nginx", "latest", None, "nginx:latest"),
        ("docker.io/library/nginx", DOCKER_HUB, "library/nginx", "latest", None, "nginx:latest"),
        (
            "index.docker.io/pihole/pihole",
            DOCKER_HUB,
            "pihole/pihole",
            "latest",
            None,
            "pihole/pihole:latest",
        ),
        (
            "pihole/pihole:2024.07",
            DOCKER_HUB,
            "pihole/pihole",
            "2024.07",
            None,
            "pihole/pihole:2024.07",
        ),
        ("ghcr.io/owner/img:tag", "ghcr.io", "owner/img", "tag", None, "ghcr.io/owner/img:tag"),
        ("quay.io/a/b/c", "quay.io", "a/b/c", "latest", None, "quay.io/a/b/c:latest"),
        ("localhost:5000/x", "localhost:5000", "x", "latest", None, "localhost:5000/x:latest"),
        ("localhost/x:1", "localhost", "x", "1", None, "localhost/x:1"),
        (f"nginx@{SHA}", DOCKER_HUB, "library/nginx", None, SHA, f"nginx@{SHA}"),
        (f"ghcr.io/o/i:v1@{SHA}", "ghcr.io", "o/i", "v1", SHA, f"ghcr.io/o/i:v1@{SHA}"),
        (
            "127.0.0.1:5000/a_b__c-d.e:V_1",
            "127.0.0.1:5000",
            "a_b__c-d.e",
            "V_1",
            None,
            "127.0.0.1:5000/a_b__c-d.e:V_1",
        ),
    ],
)
def test_parse_examples(
    text: str, registry: str, repository: str, tag: str | None, digest: str | None, remote: str
) -> None:
    ref = parse_reference(text)
    assert ref == ImageReference(registry, repository, tag, digest)
    assert ref.remote_image == remote


def test_docker_hub_display_and_urls() -> None:
    ref = parse_reference("nginx")
    assert ref.display_registry == "docker.io"
    assert ref.qualified == "docker.io/library/nginx:latest"
    assert ref.registry_url == "https://registry-1.docker.io"
    assert ref.unprefixed == "nginx:latest"


def test_ghcr_quirk_fields() -> None:
    """Some RouterOS versions want registry-url=https://ghcr.io and the name without ghcr.io."""
    ref = parse_reference("ghcr.io/owner/img:tag")
    assert ref.registry_url == "https://ghcr.io"
    assert ref.unprefixed == "owner/img:tag"
    assert ref.remote_image == "ghcr.io/owner/img:tag"


def test_loopback_registries_are_plain_http() -> None:
    assert parse_reference("localhost:5000/x").registry_url == "http://localhost:5000"
    assert parse_reference("127.0.0.1:5000/x").insecure_by_default
    assert not parse_reference("example.com:5000/x").insecure_by_default


@pytest.mark.parametrize(
    "text",
    [
        "",
        "  ",
        "Nginx",
        "nginx:",
        "nginx:-bad",
        "nginx@sha256:abc",
        f"nginx@sha256:{'AB' * 32}",
        "ghcr.io/",
        "ghcr.io/Owner/x",
        "a//b",
        "a/b/",
        "-x",
        "x_",
        "a b",
        "nginx:" + "t" * 129,
        "exa_mple.com/x",
        "x" * 256,
        "0_0.0/x",
    ],
)
def test_bad_references_raise_usage_error_with_hint(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_reference(text)
    assert info.value.hint
    assert "\n" not in info.value.one_line()


_component = st.from_regex(r"[a-z0-9]{1,8}(?:[._-][a-z0-9]{1,8}){0,2}", fullmatch=True)
_repository = st.lists(_component, min_size=1, max_size=3).map("/".join)
# On Docker Hub the first component must not look like a host (no "."): docker reads
# "a.b/c" as registry a.b, repository c.
_hub_first = st.from_regex(r"[a-z0-9]{1,8}(?:[_-][a-z0-9]{1,8}){0,2}", fullmatch=True)
_hub_repository = st.tuples(_hub_first, st.lists(_component, max_size=2)).map(
    lambda parts: "/".join([parts[0], *parts[1]])
)
_tag = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)
_digest = st.from_regex(r"[a-f0-9]{64}", fullmatch=True).map(lambda h: f"sha256:{h}")
_registry = st.sampled_from(
    ["ghcr.io", "quay.io", "localhost:5000", "127.0.0.1:39999", "registry.example.com:443"]
)


@given(_registry, _repository, st.one_of(st.none(), _tag), st.one_of(st.none(), _digest))
def test_round_trip_through_remote_image(
    registry: str, repository: str, tag: str | None, digest: str | None
) -> None:
    text = f"{registry}/{repository}"
    text += f":{tag}" if tag else ""
    text += f"@{digest}" if digest else ""
    ref = parse_reference(text)
    assert ref.registry == registry
    assert ref.repository == repository
    assert ref.digest == digest
    assert ref.tag == (tag or (None if digest else "latest"))
    assert parse_reference(ref.remote_image) == ref
    assert parse_reference(ref.qualified) == ref


@given(_hub_repository, st.one_of(st.none(), _tag))
def test_docker_hub_names_round_trip(repository: str, tag: str | None) -> None:
    ref = parse_reference(repository + (f":{tag}" if tag else ""))
    assert ref.registry == DOCKER_HUB
    assert "/" in ref.repository
    if "/" not in repository:
        assert ref.repository == f"library/{repository}"
    assert parse_reference(ref.remote_image) == ref
    assert parse_reference(ref.qualified) == ref
    assert parse_reference(ref.unprefixed) == ref


@given(st.text(max_size=40))
def test_any_text_parses_or_raises_usage_error(text: str) -> None:
    try:
        ref = parse_reference(text)
    except UsageError as error:
        assert error.hint
    else:
        assert parse_reference(ref.qualified) == ref
