"""CLI: ``mikrodock context add|ls|use|rm``: saved routers with credentials."""

from __future__ import annotations

from typing import Annotated

import typer

from mikrodock.cli._common import JsonOpt, print_json, read_secret
from mikrodock.contexts import Context, ContextStore
from mikrodock.errors import UsageError

context_app = typer.Typer(
    help="Saved routers (URL, user, password) in a 0600 file; the current one is used by default.",
    no_args_is_help=True,
)


@context_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Name for the router.")],
    url: Annotated[str, typer.Option("--url", help="Router URL, e.g. https://192.168.88.1")],
    user: Annotated[str, typer.Option("--user", help="RouterOS user.")] = "admin",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    insecure: Annotated[bool, typer.Option("--insecure", help="Skip TLS verification.")] = False,
    tls_pin: Annotated[
        bool, typer.Option("--tls-pin", help="Pin the router's certificate on first use.")
    ] = False,
    replace: Annotated[bool, typer.Option("--replace", help="Overwrite an existing one.")] = False,
    use: Annotated[bool, typer.Option("--use", help="Make it the current context.")] = False,
) -> None:
    """Save a router. The password comes from --password-stdin, MIKRODOCK_PASSWORD or a prompt,
    never from the command line."""
    if insecure and tls_pin:
        raise UsageError("--insecure and --tls-pin both given", hint="choose one")
    password = read_secret(from_stdin=password_stdin, prompt=f"Password for {user}")
    tls = "insecure" if insecure else "pin" if tls_pin else "verify"
    store = ContextStore()
    store.add(Context(name, url, user, password or "", tls), replace=replace)
    if use:
        store.use(name)
    typer.echo(f"context {name}: {url} as {user}")


@context_app.command("ls")
def ls(as_json: JsonOpt = False) -> None:
    """List saved routers; * marks the current one."""
    store = ContextStore()
    current = store.current()
    rows = [
        {"name": c.name, "url": c.url, "user": c.user, "tls": c.tls, "current": c.name == current}
        for c in store.list()
    ]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        mark = "*" if row["current"] else " "
        typer.echo(f"{mark} {row['name']:<16} {row['url']:<32} {row['user']:<12} {row['tls']}")


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
