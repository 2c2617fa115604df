"""The root of the command line: the typer app each command registers on, and what the
commands share (options taken by more than one, the examples in each help)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gostatic import __version__
from gostatic.builder.options import CACHE_DIR, JSON


def examples(*commands: str) -> str:
    """A command's help epilog: example command lines, one per line, ready to copy."""
    return "Examples:\n\n```\n" + "\n".join(commands) + "\n```"


# Options other commands share with build's (declared in gostatic.builder.options).
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
