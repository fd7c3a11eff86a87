"""CLI: ``mikrodock context add|ls|use|rm``: saved routers with credentials."""

from __future__ import annotations

from typing import Annotated

import typer

from mikrodock.cli._common import JsonOpt, UserAliasOpt, print_json, read_secret
from mikrodock.contexts import Context, ContextStore, shown_url, verify_login
from mikrodock.errors import UsageError

context_app = typer.Typer(
    help="Saved routers (URL, user, password) in a 0600 file; the current one is used by default.",
    no_args_is_help=True,
)


@context_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Name for the router.")],
    host: Annotated[
        str | None,
        typer.Option(
            "-H", "--host", help="Router URL, e.g. https://192.168.88.1", show_default=False
        ),
    ] = None,
    url_alias: Annotated[str | None, typer.Option("--url", hidden=True)] = None,
    router_user: Annotated[
        str | None,
        typer.Option("--router-user", help="RouterOS user (default admin).", show_default=False),
    ] = None,
    user_alias: UserAliasOpt = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    insecure: Annotated[bool, typer.Option("--insecure", help="Skip TLS verification.")] = False,
    tls_pin: Annotated[
        bool, typer.Option("--tls-pin", help="Pin the router's certificate on first use.")
    ] = False,
    replace: Annotated[bool, typer.Option("--replace", help="Overwrite an existing one.")] = False,
    use: Annotated[bool, typer.Option("--use", help="Make it the current context.")] = False,
    no_verify: Annotated[
        bool,
        typer.Option("--no-verify", help="Save without logging in to the router to check."),
    ] = False,
) -> None:
    """Save a router. The password comes from --password-stdin, MIKRODOCK_PASSWORD or a prompt,
    never from the command line. The router is asked once whether it accepts them, unless
    --no-verify."""
    if insecure and tls_pin:
        raise UsageError("--insecure and --tls-pin both given", hint="choose one")
    if host and url_alias and host != url_alias:
        raise UsageError("-H and --url both given", hint="give the router's URL once, with -H")
    url = host or url_alias
    if not url:
        raise UsageError("no router URL given", hint=f"e.g. mikrodock context add {name} -H URL")
    if router_user and user_alias and router_user != user_alias:
        raise UsageError("--router-user and --user both given", hint="give --router-user once")
    user = router_user or user_alias or "admin"
    password = read_secret(from_stdin=password_stdin, prompt=f"Password for {user}")
    tls = "insecure" if insecure else "pin" if tls_pin else "verify"
    store = ContextStore()
    context = Context(name, url, user, password or "", tls)
    store.check(context, replace=replace)
    if not no_verify:
        verify_login(context)
    store.add(context, replace=replace)
    if use:
        store.use(name)
    typer.echo(f"context {name}: {shown_url(url)} as {user}")


_TLS_SHOWN = {"verify": "verify", "insecure": "insecure", "pin": "pinned"}


@context_app.command("ls")
def ls(as_json: JsonOpt = False) -> None:
    """List saved routers; * after the name marks the current one."""
    store = ContextStore()
    current = store.current()
    rows = [
        {
            "name": c.name,
            "url": shown_url(c.url),
            "user": c.user,
            "tls": c.tls,
            "current": c.name == current,
        }
        for c in store.list()
    ]
    if as_json:
        print_json(rows)
        return
    table = [("NAME", "URL", "USER", "TLS")] + [
        (
            f"{row['name']} *" if row["current"] else str(row["name"]),
            str(row["url"]),
            str(row["user"]),
            _TLS_SHOWN.get(str(row["tls"]), str(row["tls"])),
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(3)]
    for line in table:
        cells = [f"{cell:<{width}}" for cell, width in zip(line, widths, strict=False)]
        typer.echo("   ".join([*cells, line[3]]))


@context_app.command("use")
def use_(name: Annotated[str, typer.Argument(help="Context to make current.")]) -> None:
    """Make a context the current one."""
    ContextStore().use(name)
    typer.echo(f"current context: {name}")


@context_app.command("rm")
def rm(name: Annotated[str, typer.Argument(help="Context to remove.")]) -> None:
    """Forget a saved router."""
    ContextStore().remove(name)
    typer.echo(f"removed context {name}")


def register(root: typer.Typer) -> None:
    root.add_typer(context_app, name="context")
