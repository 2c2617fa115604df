"""`gostatic explain`: which packages make a plain build dynamic, and what fixes each."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

import typer

from gostatic.cli.root import JsonOption, app, examples
from gostatic.exits import JsonDocument


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    options_metavar="[--json] [go build flags] [PACKAGE]",
    epilog=examples(
        "gostatic explain ./cmd/server",
        "gostatic explain --json -tags netgo ./cmd/server",
        "GOOS=linux GOARCH=arm64 gostatic explain .",
    ),
)
def explain(ctx: typer.Context, json_out: JsonOption = False) -> None:
    """Why the plain build of PACKAGE is dynamic: every package that uses cgo, the shortest
    import chain to it, and its remedy (netgo, osusergo, external-static, or cannot be
    static); then the strategy gostatic build will start with, on the ladder of the
    project's gostatic.toml if it has one.

    Takes go build flags (-tags ...) and honours GOFLAGS, GOOS, GOARCH and CGO_ENABLED.
    Exit 0 explained; 1 go could not load the package, or could not be run; 2 usage;
    130 interrupted; 141 the reader of stdout went away.
    """
    from gostatic.exits import JsonDocument, guarded

    json = JsonDocument("explain") if json_out else None
    raise typer.Exit(guarded(lambda: _explain(ctx.args, json), json))


def _explain(argv: Sequence[str], json: JsonDocument | None) -> int:
    from gostatic.explain import ExplainRequest
    from gostatic.explain import explain as run_explain
    from gostatic.go.flags import parse_build_args
    from gostatic.report.explain import explain_to_json, write_explain_text

    analysis = run_explain(ExplainRequest(parse_build_args(argv), os.environ, Path.cwd()))
    if json is not None:
        json.write(explain_to_json(analysis))
    else:
        write_explain_text(analysis, sys.stdout)
    return 0
