"""typer parameters from an option table (gostatic.builder.options), so that a command's help and
completion show the options its typer-free parser takes, declared once."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

import typer

from gostatic.builder.options import OwnOption

Command = TypeVar("Command", bound=Callable[..., Any])


def with_own_options(table: Sequence[OwnOption]) -> Callable[[Command], Command]:
    """Declare ``table``'s options on a typer command written as
    ``def command(ctx: typer.Context, **given: object)``: typer reads the signature this
    sets, and calls the command with each option's value by field (False or None when not
    given)."""

    def declare(command: Command) -> Command:
        context = inspect.Parameter(
            "ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context
        )
        parameters = [context, *(_parameter(option) for option in table)]
        command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        # The annotations themselves, not the module's text of them: typer resolves these.
        command.__annotations__ = {p.name: p.annotation for p in parameters}
        return command

    return declare


def given_values(values: dict[str, object]) -> dict[str, object]:
    """The options typer saw given, as gostatic.builder.options' parser gives them: switches that
    are on, values that were passed, a repeated option's values as a tuple."""
    parsed = {f: tuple(v) if isinstance(v, list) else v for f, v in values.items()}
    return {field: value for field, value in parsed.items() if value not in (None, False, ())}


def _parameter(option: OwnOption) -> inspect.Parameter:
    complete = _completer(option.choices) if option.choices else None
    declared = typer.Option(
        option.flag, metavar=option.metavar, help=option.help, autocompletion=complete
    )
    kind: Any = bool
    if option.takes_value:
        kind = list[str] | None if option.repeated else str | None
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
