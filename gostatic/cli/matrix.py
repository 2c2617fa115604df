"""`gostatic matrix`: the seed's experiment, each package built in each mode."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from gostatic.cli.root import JsonOption, app, examples
from gostatic.exits import JsonDocument
from gostatic.strategies import NAMES


@app.command(
    epilog=(
        "Modes: auto (go build), cgo0 (CGO_ENABLED=0), cgo1 (CGO_ENABLED=1),"
        " dyn (-ldflags -linkmode=external), netgo (-tags netgo), and gostatic's strategies as "
        + ", ".join(f"strategy:{name}" for name in NAMES)
        + " (strategy:netgo adds osusergo to the seed's netgo).\n\n"
        + examples(
            "cd examples/seed && gostatic matrix ./fmt ./log-syslog ./cgo",
            "gostatic matrix --json --modes auto,strategy:netgo ./cmd/...",
        )
    ),
)
def matrix(
    packages: Annotated[
        list[str],
        typer.Argument(
            metavar="PACKAGE...",
            help="Main packages, patterns, or .go files (one program each).",
        ),
    ],
    json_out: JsonOption = False,
    modes: Annotated[
        str | None,
        typer.Option("--modes", help="Comma-separated modes, in order (default: the seed's five)."),
    ] = None,
) -> None:
    """Build each package in each mode into a temporary directory (always removed) and
    show which came out static and which dynamic, as in the seed's table.

    Exit 0 table shown (a build failure is a result, not an error); 1 go could not
    load a package, or could not be run; 2 usage; 130 interrupted; 141 the reader of
    stdout went away.
    """
    from gostatic.exits import JsonDocument, guarded

    json = JsonDocument("matrix") if json_out else None
    raise typer.Exit(guarded(lambda: _matrix(packages, modes, json), json))


def _matrix(packages: list[str], modes: str | None, json: JsonDocument | None) -> int:
    from gostatic.matrix import MatrixRequest, parse_modes, run_matrix
    from gostatic.report.matrix import matrix_progress, matrix_to_json, write_matrix_text

    request = MatrixRequest(tuple(packages), parse_modes(modes), os.environ, Path.cwd())
    with matrix_progress(sys.stderr, wanted=json is None) as progress:
        report = run_matrix(request, progress)
    if json is not None:
        json.write(matrix_to_json(report))
    else:
        write_matrix_text(report, sys.stdout)
    return 0
