"""The typer layer: parse, build a request, call the core, hand the result to a reporter.

Heavy modules (pyelftools, rich tables) are imported inside the commands that use them.
`gostatic build` normally bypasses this module (see __main__); it is declared here for
help, completion and `python -m gostatic build --help`.

The app and what the commands share live in gostatic.cli.root, which the command modules
import; this package imports the command modules, so no import runs in a circle.
"""

from __future__ import annotations

import os

from gostatic.cli.root import CacheDirOption, JsonOption, app, examples
from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

# CacheDirOption, JsonOption and examples: cli/build.py takes them from here, until it
# imports them from gostatic.cli.root as the other commands do.
__all__ = [
    "CacheDirOption",
    "JsonOption",
    "app",
    "examples",
    "plain_output_for_no_color",
    "run_app",
]


def plain_output_for_no_color(env: Mapping[str, str]) -> None:
    """Honour NO_COLOR (https://no-color.org) fully in typer's help and errors.

    rich drops colours for NO_COLOR but keeps bold and dim, which are escape codes too;
    with no colour system at all it writes plain text.
    """
    if env.get("NO_COLOR"):
        from typer import rich_utils

        rich_utils.COLOR_SYSTEM = None


def run_app(args: Sequence[str]) -> int:
    """Run the typer app and return the exit status instead of exiting."""
    plain_output_for_no_color(os.environ)
    command = _json_command(args)
    if command is not None:
        return _run_for_json(args, command)
    try:
        app(args=list(args), prog_name="gostatic")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def _json_command(args: Sequence[str]) -> str | None:
    """The command (as gostatic.report.JSON_COMMANDS names it) of a command line that
    asks for --json (before any ``--``), or None."""
    from gostatic.report import JSON_COMMANDS

    before = list(args)[: list(args).index("--")] if "--" in args else list(args)
    if "--json" not in before:
        return None
    for words in (2, 1):
        command = " ".join(args[:words])
        if command in JSON_COMMANDS:
            return command
    return None


def _run_for_json(args: Sequence[str], command: str) -> int:
    """Run the app for a command line with --json: a usage error typer finds (a missing
    argument, an option without its value) is then told in the command's JSON document
    too, as the command's own errors are (gostatic.exits)."""
    from gostatic.errors import GostaticError, UsageError
    from gostatic.exits import JsonDocument, guarded

    click_error = _click_exception()

    def body() -> int:
        try:
            status = app(args=list(args), prog_name="gostatic", standalone_mode=False)
        except click_error as exc:
            code = getattr(exc, "exit_code", 1)
            message = str(getattr(exc, "format_message", exc.__str__)())
            raise (UsageError if code == UsageError.exit_status else GostaticError)(
                message
            ) from None
        return status if isinstance(status, int) else 0

    return guarded(body, JsonDocument(command))


# Each command module registers itself on `app`; import them for that effect only.
from gostatic.cli import build, cache, explain, image, init, matrix, verify  # noqa: E402, F401


def _click_exception() -> type[Exception]:
    """The base of the errors typer's parser raises: click's ClickException, which typer
    vendors from 0.28 on (typer.BadParameter derives from it in every version)."""
    import typer

    found = [c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"]
    return found[0] if found and issubclass(found[0], Exception) else Exception
