"""CLI: ``mikrodock app inspect | validate | convert`` (RouterOS /app YAML)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mikrodock.cli._common import JsonOpt, print_json

app_cli = typer.Typer(
    name="app",
    help="RouterOS /app YAML: see what RouterOS computes, validate, convert from compose.",
    no_args_is_help=True,
)

FileArg = Annotated[str, typer.Argument(help="The YAML file ('-' for stdin).", show_default=False)]


@app_cli.command("inspect")
def inspect_command(
    file: FileArg,
    output_format: Annotated[
        str, typer.Option("--format", hidden=True)  # the older spelling of --json
    ] = "text",
    json_output: JsonOpt = False,
) -> None:
    """Print the containers, environment, firewall-redirects and required-mounts fields that
    RouterOS 7.22 computes from an /app YAML."""
    from mikrodock.errors import UsageError
    from mikrodock.routeros.app_fields import interpret_app_yaml
    from mikrodock.routeros.yaml_nodes import YamlError, read_source

    if output_format not in ("text", "json"):
        raise UsageError(f"unknown --format {output_format!r}", hint="use text or json")
    try:
        fields = interpret_app_yaml(read_source(file))
    except YamlError as error:
        raise YamlError(error.bare_message, line=error.line, source=file, hint=error.hint) from None
    if json_output or output_format == "json":
        print_json(fields)
        return
    for key, value in fields.items():
        typer.echo(f"{key}: {value}")


@app_cli.command("validate")
def validate_command(
    file: FileArg,
    router_version: Annotated[
        str | None,
        typer.Option("--router-version", help="Check for this RouterOS version (default: newest)."),
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Check an /app YAML against the /app schema of a RouterOS version (exit 2 on problems)."""
    from mikrodock.compose.validate import validate_app_yaml
    from mikrodock.routeros.yaml_nodes import read_source

    issues = validate_app_yaml(read_source(file), router_version=router_version, source=file)
    if json_output:
        print_json({"file": file, "valid": not issues, "issues": [i.as_dict() for i in issues]})
    else:
        for issue in issues:
            where = f"{file}:{issue.line}" if issue.line else file
            path = f"{issue.path}: " if issue.path else ""
            typer.echo(f"{where}: {path}{issue.message}", err=True)
        if not issues:
            typer.echo(f"{file}: valid /app YAML")
    if issues:
        raise typer.Exit(2)


@app_cli.command("convert")
def convert_command(
    file: Annotated[str, typer.Argument(help="The compose file.", show_default=False)],
    output: Annotated[
        str | None,
        typer.Option("-o", "--output", help="Write the /app YAML here (default: stdout)."),
    ] = None,
    project_name: Annotated[
        str | None, typer.Option("-p", "--project-name", help="The /app name (default: project).")
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Turn a compose file into an /app YAML, saying what cannot be carried over."""
    from mikrodock.compose.compose_file import load_compose
    from mikrodock.compose.convert import compose_to_app
    from mikrodock.paths import atomic_write

    project = load_compose(Path(file), project_name=project_name)
    result = compose_to_app(project)
    if output:
        atomic_write(Path(output), result.yaml_text.encode())
    if json_output:
        print_json({"yaml": result.yaml_text, "dropped": [d.as_dict() for d in result.dropped]})
        return
    if not output:
        typer.echo(result.yaml_text, nl=False)
    for dropped in result.dropped:
        typer.echo(f"mikrodock: not carried over: {dropped}", err=True)


def register(root: typer.Typer) -> None:
    """Add ``mikrodock app ...`` to the root command."""
    root.add_typer(app_cli, name="app")
