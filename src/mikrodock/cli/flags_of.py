"""Command-line options from a dataclass whose fields are declared with
:func:`mikrodock.containers.options.flag`: the one source of ``run``/``create``'s flags.

:func:`parameters` turns the flag fields into typer parameters (a ``tuple[str, ...]`` field
becomes a repeatable option); :func:`build` makes the dataclass back from what typer parsed.
"""

from __future__ import annotations

import inspect
from dataclasses import fields
from typing import Annotated, Any, TypeVar, get_type_hints

import typer

__all__ = ["build", "parameters"]

T = TypeVar("T")


def _flag_fields(cls: type) -> list[Any]:
    return [item for item in fields(cls) if item.metadata.get("flags")]


def parameters(cls: type) -> list[inspect.Parameter]:
    """Keyword parameters (typer options) for the flag fields of dataclass ``cls``."""
    hints = get_type_hints(cls)
    made = []
    for item in _flag_fields(cls):
        kind, default = hints[item.name], item.default
        if kind == tuple[str, ...]:
            kind, default = list[str] | None, None
        option = typer.Option(
            *item.metadata["flags"],
            help=item.metadata["help"],
            metavar=item.metadata["metavar"],
            show_default=default not in (None, False),
        )
        made.append(
            inspect.Parameter(
                item.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=default,
                annotation=Annotated[kind, option],
            )
        )
    return made


def build(cls: type[T], values: dict[str, Any], **others: Any) -> T:
    """``cls`` from the parsed ``values`` of its flag fields (taken out of ``values``) and
    ``others`` (its fields that are not flags)."""
    taken = {item.name: values.pop(item.name) for item in _flag_fields(cls)}
    return cls(**taken, **others)
