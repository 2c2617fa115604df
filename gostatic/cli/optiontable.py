"""typer parameters from an option table (gostatic.options), so that a command's help and
completion show the options its typer-free parser takes, declared once."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

import typer

from gostatic.options import OwnOption

Command = TypeVar("Command", bound=Callable[..., Any])


def with_own_options(table: Sequence[OwnOption]) -> Callable[[Command], Command]:
    """Declare ``table``'s options on a typer command written as
    ``def command(ctx: typer.Context, **given: object)``: typer reads the signature this
    sets, and calls the command with each option's value by field (False or None when not
    given)."""

    def declare(command: Command) -> Command:
        context = inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD)
        context = context.replace(annotation=typer.Context)
        own = [_parameter(option) for option in table]
        command.__signature__ = inspect.Signature([context, *own])  # type: ignore[attr-defined]
        return command

    return declare


def given_values(values: dict[str, object]) -> dict[str, object]:
    """The options typer saw given: switches that are on, values that were passed."""
    return {field: value for field, value in values.items() if value not in (None, False)}


def _parameter(option: OwnOption) -> inspect.Parameter:
    complete = _completer(option.choices) if option.choices else None
    declared = typer.Option(
        option.flag, metavar=option.metavar, help=option.help, autocompletion=complete
    )
    kind: Any = (str | None) if option.takes_value else bool
    return inspect.Parameter(
        option.field,
        inspect.Parameter.KEYWORD_ONLY,
        default=None if option.takes_value else False,
        annotation=Annotated[kind, declared],
    )


def _completer(choices: tuple[str, ...]) -> Callable[[str], list[str]]:
    def complete(incomplete: str) -> list[str]:
        return [choice for choice in choices if choice.startswith(incomplete)]

    return complete
