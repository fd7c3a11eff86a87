"""Property test for the registry manifest/index reader (outside input from any registry):
any JSON document or bytes gives a manifest, a list of descriptors, or an ImageError."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mikrodock.errors import ImageError
from mikrodock.images.manifest import parse_document

_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12))
_JSON = st.recursive(
    _SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(
                [
                    "mediaType",
                    "schemaVersion",
                    "manifests",
                    "config",
                    "layers",
                    "digest",
                    "size",
                    "platform",
                    "architecture",
                    "os",
                    "urls",
                    "annotations",
                    "x",
                ]
            ),
            inner,
            max_size=5,
        ),
    ),
    max_leaves=12,
)
_DIGEST = "sha256:" + "0" * 64


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_JSON.map(lambda v: json.dumps(v).encode()), st.binary(max_size=40)))
def test_any_document_parses_or_is_an_image_error(raw: bytes) -> None:
    try:
        parse_document(raw, _DIGEST, "", "registry")
    except ImageError as exc:
        assert "\n" not in str(exc)
