"""Property test for the registry's WWW-Authenticate parser (outside input from any
registry): any header gives a challenge or None, never an exception."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mikrodock.images.auth import parse_challenge

_HEADERISH = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda s, r: s + r,
        st.sampled_from(["Bearer ", "Basic ", "bearer realm=", 'Bearer realm="', ""]),
        st.text(alphabet="abc=\",: /\\'", max_size=50),
    ),
)


@settings(max_examples=300, deadline=None)
@given(_HEADERISH)
def test_any_header_gives_a_challenge_or_none(header: str) -> None:
    parse_challenge(header)  # must not raise
