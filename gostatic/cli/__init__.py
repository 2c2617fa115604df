"""The typer layer: parse, build a request, call the core, hand the result to a reporter.

Heavy modules (pyelftools, rich tables) are imported inside the commands that use them.
`gostatic build` normally bypasses this module (see __main__); it is declared here for
help, completion and `python -m gostatic build --help`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from gostatic import __version__

# Options more than one command takes, declared once.
CacheDirOption = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        metavar="DIR",
        help="Cache directory (default: $GOSTATIC_CACHE_DIR, else $XDG_CACHE_HOME/gostatic).",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]

app = typer.Typer(
    name="gostatic",
    help="A drop-in for `go build` whose output is proved static by reading the ELF.",
    no_args_is_help=True,
    rich_markup_mode="rich",
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
from gostatic.cli import build, cache, explain, matrix, verify  # noqa: E402, F401


def run_app(args: Sequence[str]) -> int:
    """Run the typer app and return the exit status instead of exiting."""
    try:
        app(args=list(args), prog_name="gostatic")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0
