"""`gostatic build` in typer, for help and completion; the fast path is gostatic.buildcli."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from gostatic.cli.root import CacheDirOption, JsonOption, app, examples
from gostatic.strategies import NAMES


def _complete_strategy(incomplete: str) -> list[str]:
    return [name for name in NAMES if name.startswith(incomplete)]


# Built from the strategy names so that a new rung cannot be left out of the help.
_HELP = f"""Build like `go build` (same flags, same packages, same outputs), static guaranteed.

Strategies are tried in order ({", ".join(NAMES)}) until the ELF proves the output
static: static-pie only for -buildmode=pie, musl-static and zig-static only where
installed. Exit 0 all static; 1 go build failed (or, with --smoke, a run failed);
2 usage; 3 no strategy gave a static binary (nothing written); 130 interrupted.
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
def build(
    ctx: typer.Context,
    json_out: JsonOption = False,
    strategy: Annotated[
        str | None,
        typer.Option(
            "--strategy",
            help=f"Use this strategy only ({', '.join(NAMES)}).",
            autocompletion=_complete_strategy,
        ),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Treat hazards (NSS, dlopen) as failure.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print only errors and warnings.")] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Neither read nor write the strategy cache.")
    ] = False,
    cache_dir: CacheDirOption = None,
    pin: Annotated[
        bool,
        typer.Option("--pin", help="Pin each package's winning strategy in gostatic.toml."),
    ] = False,
    smoke: Annotated[
        bool,
        typer.Option(
            "--smoke",
            help="Run each built binary in an empty root; arguments after -- go to it.",
        ),
    ] = False,
) -> None:
    # The help is _HELP, above.
    from gostatic.buildcli import run_build_cli

    own = [
        flag
        for flag, on in (
            ("--json", json_out),
            ("--strict", strict),
            ("--quiet", quiet),
            ("--no-cache", no_cache),
            ("--pin", pin),
            ("--smoke", smoke),
        )
        if on
    ]
    if strategy is not None:
        own += ["--strategy", strategy]
    if cache_dir is not None:
        own += ["--cache-dir", str(cache_dir)]
    raise typer.Exit(run_build_cli([*own, *ctx.args], os.environ, os.getcwd()))
