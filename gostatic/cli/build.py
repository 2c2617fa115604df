"""`gostatic build` in typer, for help and completion; a build runs without typer
(gostatic.builder.entry), and both take the options of one table (gostatic.builder.options)."""

from __future__ import annotations

import os

import typer

from gostatic.builder.options import BUILD_OPTIONS
from gostatic.cli.optiontable import given_values, with_own_options
from gostatic.cli.root import app, examples
from gostatic.strategies import NAMES

# Built from the strategy names so that a new rung cannot be left out of the help.
_HELP = f"""Build like `go build` (same flags, same packages, same outputs), static guaranteed.

Strategies are tried in order ({", ".join(NAMES)}) until the ELF proves the output
static: static-pie only for -buildmode=pie, musl-static and zig-static only where
installed. Exit 0 all static; 1 go build failed, go could not be run, a --smoke run
failed, or the output could not be written; 2 usage (an unknown option or go flag, one after
the packages, -o FILE naming no main package, a -buildmode that builds no program, a
non-ELF target); 3 no strategy gave a static binary, or the program imports plugin
(nothing written); 130 interrupted; 141 the reader of stdout went away.
"""


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    options_metavar="[OPTIONS] [GO BUILD FLAGS] [PACKAGES]...",
    help=_HELP,
    epilog=examples(
        "gostatic build -o bin/server ./cmd/server",
        "gostatic build -ldflags \"-s -w -X 'main.version=1.2 beta'\" -o bin/ ./cmd/...",
        "gostatic build --json --strategy netgo .",
        "gostatic build -buildmode=pie -o bin/server ./cmd/server",
        "gostatic build --smoke -o bin/server ./cmd/server -- --version",
    ),
)
@with_own_options(BUILD_OPTIONS)
def build(ctx: typer.Context, **own: object) -> None:
    # The help is _HELP, above. typer comes here when a help flag it does not know (-h,
    # -help, go's) stands among go's flags: gostatic's help answers it too. (Declared as
    # help options, -h would also match inside -trimpath: click groups short options.)
    from gostatic.builder.entry import run_build_cli
    from gostatic.builder.options import asks_for_help

    if asks_for_help(ctx.args):
        typer.echo(ctx.get_help())
        raise typer.Exit(0)
    status = run_build_cli(ctx.args, os.environ, os.getcwd(), given_values(own))
    raise typer.Exit(status)
