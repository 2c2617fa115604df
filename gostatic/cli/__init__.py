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
    try:
        app(args=list(args), prog_name="gostatic")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


# Each command module registers itself on `app`; import them for that effect only.
from gostatic.cli import build, cache, explain, image, init, matrix, verify  # noqa: E402, F401
