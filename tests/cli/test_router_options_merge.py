"""A subcommand's router options over its group's (`compose -H A up -H B` talks to B): naming
the router one way replaces the group's choice entirely; unset ones keep the group's."""

from __future__ import annotations

import pytest

from mikrodock.cli._common import RouterOptions
from mikrodock.errors import UsageError

GROUP = RouterOptions(context="office", router_user="ops", insecure=True)


def test_nothing_given_keeps_the_group() -> None:
    assert RouterOptions().over(GROUP) == GROUP


def test_naming_the_router_replaces_the_groups_choice() -> None:
    merged = RouterOptions(host="https://192.0.2.9").over(GROUP)
    assert (merged.host, merged.context, merged.chr_name) == ("https://192.0.2.9", None, None)
    assert merged.router_user == "ops" and merged.insecure  # the rest stays


def test_tls_choice_is_taken_whole() -> None:
    merged = RouterOptions(tls_pin=True).over(GROUP)
    assert (merged.insecure, merged.tls_pin) == (False, True)


def test_user_and_password_stdin() -> None:
    merged = RouterOptions(router_user="admin", password_stdin=True).over(GROUP)
    assert (merged.router_user, merged.password_stdin) == ("admin", True)


def test_take_reads_the_hidden_alias_and_refuses_two_users() -> None:
    values = {"host": "https://192.0.2.9", "user_alias": "ops", "json": True}
    taken = RouterOptions.take(values)
    assert taken.router_user == "ops" and taken.host == "https://192.0.2.9"
    assert values == {"json": True}  # only the command's own options are left
    with pytest.raises(UsageError, match="--router-user and --user both given"):
        RouterOptions.take({"router_user": "a", "user_alias": "b"})
