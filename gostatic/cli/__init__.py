"""The typer layer: parse, build a request, call the core, hand the result to a reporter.

Heavy modules (pyelftools, rich tables) are imported inside the commands that use them.
`gostatic build` normally bypasses this module (see __main__); it is declared here for
help, completion and `python -m gostatic build --help`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated

import typer

from gostatic import __version__
from gostatic.options import CACHE_DIR, JSON


def examples(*commands: str) -> str:
    """A command's help epilog: example command lines, one per line, ready to copy."""
    return "Examples:\n\n```\n" + "\n".join(commands) + "\n```"


# Options other commands share with build's (declared in gostatic.options).
CacheDirOption = Annotated[
    Path | None, typer.Option(CACHE_DIR.flag, metavar=CACHE_DIR.metavar, help=CACHE_DIR.help)
]
JsonOption = Annotated[bool, typer.Option(JSON.flag, help=JSON.help)]

app = typer.Typer(
    name="gostatic",
    help="A drop-in for `go build` whose output is proved static by reading the ELF.",
    epilog=examples(
        "gostatic build -o bin/ ./cmd/...",
        "gostatic verify bin/*",
        "gostatic init",
        "gostatic build --help",
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gostatic {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = None,
) -> None:
    """A drop-in for `go build` whose output is proved static by reading the ELF."""


# Each command module registers itself on `app`; import them for that effect only.
from gostatic.cli import build, cache, explain, init, matrix, verify  # noqa: E402, F401


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
