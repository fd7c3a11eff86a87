"""The router options, given at several levels (`mikrodock -H A compose -H B up`), merge once:
the innermost level wins; naming the router one way there replaces an outer choice entirely;
unset ones keep the outer level's."""

from __future__ import annotations

from mikrodock.cli.router_flags import RouterChoice

GROUP = RouterChoice(context="office", router_user="ops", insecure=True, timeout=3.0)


def test_nothing_given_keeps_the_group() -> None:
    assert RouterChoice().over(GROUP) == GROUP


def test_naming_the_router_replaces_the_groups_choice() -> None:
    merged = RouterChoice(host="https://192.0.2.9").over(GROUP)
    assert (merged.host, merged.context, merged.chr_name) == ("https://192.0.2.9", None, None)
    assert merged.router_user == "ops" and merged.insecure  # the rest stays
    assert merged.timeout == 3.0


def test_tls_choice_is_taken_whole() -> None:
    merged = RouterChoice(tls_pin=True).over(GROUP)
    assert (merged.insecure, merged.tls_pin) == (False, True)


def test_user_timeout_and_password_stdin() -> None:
    merged = RouterChoice(router_user="admin", password_stdin=True, timeout=9.0).over(GROUP)
    assert (merged.router_user, merged.password_stdin, merged.timeout) == ("admin", True, 9.0)


def test_tables_have_headers_computed_widths_and_say_when_empty(
    capsys: object,
) -> None:
    from mikrodock.cli.tables import print_table, render_table

    text = render_table(("NAME", "STATE"), [("web", "running"), ("a-long-name", "stopped")])
    assert text.splitlines() == [
        "NAME         STATE",
        "web          running",
        "a-long-name  stopped",
    ]
    print_table(("NAME",), [], empty="no containers")
    assert capsys.readouterr().out == "no containers\n"  # type: ignore[attr-defined]
