"""`gostatic init`: write the Makefile include, the Dockerfile (and a CI workflow) into a module."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from gostatic.cli.root import app, examples


@app.command(
    epilog=examples(
        "gostatic init",
        "gostatic init --ci --dir services/api",
        "gostatic init --force",
    )
)
def init(
    force: Annotated[
        bool, typer.Option("--force", help="Replace files that differ from the templates.")
    ] = False,
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            help="Write into this directory [default: the module holding the current directory].",
        ),
    ] = None,
    ci: Annotated[
        bool,
        typer.Option("--ci", help="Also write a GitHub Actions workflow (.github/workflows)."),
    ] = False,
) -> None:
    """Write gostatic.mk (a Makefile include) and Dockerfile.scratch into a Go module.

    An existing file is never overwritten without --force: init says which files it wrote
    and which it kept. Exit 0 done; 1 a file could not be written (the others still are);
    2 usage (no go.mod); 130 interrupted.
    """
    from gostatic.exits import guarded
    from gostatic.report.init import write_init_text
    from gostatic.scaffold import InitRequest, place_templates

    def body() -> int:
        cwd = Path.cwd()
        report = place_templates(InitRequest(cwd=cwd, directory=directory, force=force, ci=ci))
        write_init_text(report, cwd, sys.stdout, sys.stderr)
        return report.exit_status

    raise typer.Exit(guarded(body))
