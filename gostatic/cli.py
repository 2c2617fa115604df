"""The typer layer: parse, build a request, call the core, hand the result to a reporter.

Heavy modules (pyelftools, rich tables) are imported inside the commands that use them.
`gostatic build` normally bypasses this module (see __main__); it is declared here for
help, completion and `python -m gostatic build --help`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from gostatic import __version__

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


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    epilog=(
        "Examples:\n\n"
        "  gostatic build -o bin/server ./cmd/server\n\n"
        "  gostatic build -ldflags \"-s -w -X 'main.version=1.2 beta'\" -o bin/ ./cmd/...\n\n"
        "  gostatic build --json --strategy netgo ."
    ),
)
def build(
    ctx: typer.Context,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout.")
    ] = False,
    strategy: Annotated[
        str | None,
        typer.Option(
            "--strategy", help="Use this strategy only (plain, netgo, cgo-off, external-static)."
        ),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Treat hazards (NSS, dlopen) as failure.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print only errors and warnings.")] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Neither read nor write the strategy cache.")
    ] = False,
) -> None:
    """Build like `go build` (same flags, same packages, same outputs), static guaranteed.

    Strategies are tried in order (plain, netgo, cgo-off, external-static) until the
    ELF proves the output static. Exit 0 all static; 1 go build failed; 2 usage;
    3 no strategy gave a static binary (nothing written); 130 interrupted.
    """
    from gostatic.buildcli import run_build_cli

    own = [
        flag
        for flag, on in (
            ("--json", json_out),
            ("--strict", strict),
            ("--quiet", quiet),
            ("--no-cache", no_cache),
        )
        if on
    ]
    if strategy is not None:
        own += ["--strategy", strategy]
    raise typer.Exit(run_build_cli([*own, *ctx.args], os.environ, Path.cwd()))


def run_app(args: Sequence[str]) -> int:
    """Run the typer app and return the exit status instead of exiting."""
    try:
        app(args=list(args), prog_name="gostatic")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0
