"""Property test for the MIKRODOCK_DATA_LINKS environment parser of the CHR container image:
any text gives etherN -> IPv4 network pairs (N >= 2) or a one-line UsageError."""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from mikrodock.chr.docker.datalinks import parse_links_env
from mikrodock.errors import UsageError

_ENVISH = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="ether0123456789=./, ", max_size=40),
)


@settings(max_examples=300, deadline=None)
@given(_ENVISH)
def test_links_env_gives_networks_or_refuses(text: str) -> None:
    try:
        links = parse_links_env(text)
    except UsageError as exc:
        assert "\n" not in str(exc)
        return
    for number, network in links.items():
        assert number >= 2
        assert isinstance(network, ipaddress.IPv4Network)
