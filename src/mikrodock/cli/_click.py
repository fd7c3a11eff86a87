"""The click API the CLI uses, from the copy of click that typer carries (typer >= 0.20 ships
its own ``typer._click`` and no longer depends on click). One module, so a typer upgrade that
moves it is fixed here."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, get_args, get_origin

from typer._click.core import Command, Context, Parameter
from typer._click.exceptions import BadParameter, ClickException, UsageError
from typer._click.formatting import HelpFormatter
from typer._click.globals import get_current_context
from typer._click.termui import prompt
from typer._click.utils import echo
from typer._coercion import RuntimeParam

__all__ = [
    "BadParameter",
    "ClickException",
    "Command",
    "Context",
    "HelpFormatter",
    "Parameter",
    "UsageError",
    "echo",
    "get_current_context",
    "light_coercion",
    "prompt",
]


@dataclass(frozen=True)
class _Plain(RuntimeParam):
    """Coercion of a ``str``/``int``/``float``/``bool`` option (or a list of them) without
    building a pydantic TypeAdapter, which typer does for every processed option and which
    costs more than the rest of a ``--help`` together."""

    def _coerce_value(self, value: Any, param: Any, ctx: Context) -> Any:
        kind: Any = self.annotation
        if get_origin(kind) in (list, tuple):
            item = get_args(kind)[0]
            return [_convert(item, v, param, ctx) for v in value]
        return _convert(kind, value, param, ctx)


_NAMES = {int: "integer", float: "number", bool: "boolean"}


_TRUE, _FALSE = ("1", "true", "yes", "y", "on", "t"), ("0", "false", "no", "n", "off", "f", "")


def _convert(kind: Any, value: Any, param: Any, ctx: Context) -> Any:
    if kind is bool and isinstance(value, str) and value.strip().lower() in (*_TRUE, *_FALSE):
        return value.strip().lower() in _TRUE
    if kind is str or isinstance(value, kind):
        return value if kind is not str else str(value)
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise BadParameter(f"{value!r} is not a valid {_NAMES[kind]}.", ctx, param) from None


def _simple(annotation: Any) -> bool:
    if get_origin(annotation) in (list, tuple):
        args = get_args(annotation)
        return len(args) == 1 and args[0] in (str, int, float)
    return annotation in (str, int, float, bool)


def light_coercion(command: Any) -> None:
    """Give every plain-typed option of ``command`` and its subcommands the light coercion
    (``-h/--help`` too, made here the way the command would make it on first use)."""
    help_option = command.get_help_option(SimpleNamespace(help_option_names=["-h", "--help"]))
    for param in [*command.params, *([help_option] if help_option is not None else [])]:
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is None or descriptor.file_annotation is not None:
            continue
        info = descriptor.parameter_info
        if getattr(info, "min", None) is not None or getattr(info, "max", None) is not None:
            continue
        if _simple(descriptor.annotation) and getattr(param, "_runtime_param", 1) is None:
            param._runtime_param = _Plain(parameter_info=info, annotation=descriptor.annotation)
    for sub in getattr(command, "commands", {}).values():
        light_coercion(sub)
