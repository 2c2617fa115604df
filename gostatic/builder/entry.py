"""`gostatic build` without typer: its arguments are go's, and it runs on every Makefile
target, so it avoids typer's and rich's import cost (gostatic.cli.build is the same command
in typer, for help and completion).

Like every command: parse the command line into a request (gostatic.builder.options), call the core
(gostatic.builder.pipeline), hand what it tells and returns to the reporters (gostatic.report).
"""

from __future__ import annotations

import sys

from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from gostatic.builder.results import BuildOutcome, BuildReport
    from gostatic.exits import JsonDocument
    from gostatic.smoke import SmokeResult


def run_build_cli(
    argv: Sequence[str],
    env: Mapping[str, str],
    cwd: str,
    given: Mapping[str, object] | None = None,
) -> int:
    """Run `gostatic build ARGV` and return its exit status. ``given``: gostatic's own
    options, when typer parsed them already (see gostatic.builder.options.build_request).

    With --json, one document on stdout whatever happens, from a usage error on: asked for
    anywhere on the command line, it is printed even when the command line is refused."""
    from gostatic.builder.options import wants_json
    from gostatic.exits import JsonDocument, guarded

    json = JsonDocument("build") if wants_json(argv, given) else None
    return guarded(lambda: _run(argv, env, cwd, given, json), json)


def _run(
    argv: Sequence[str],
    env: Mapping[str, str],
    cwd: str,
    given: Mapping[str, object] | None,
    json: JsonDocument | None,
) -> int:
    from gostatic.builder.options import build_request
    from gostatic.builder.pipeline import BuildObserver, run_build
    from gostatic.report.build import BuildTextReporter, build_to_json

    request = build_request(argv, env, cwd, given)
    options, go_args = request.options, request.go_args
    echo_go = go_args.has("v") or go_args.has("x")
    text = BuildTextReporter(sys.stderr, quiet=options.quiet, echo_go=echo_go)

    def built(report: BuildReport) -> None:
        text.summary(report)
        if json is not None:  # what a failure from here on still reports
            json.known["results"] = build_to_json(report)["results"]

    def smoked(package: str, run: SmokeResult) -> None:
        from gostatic.report.smoke import write_smoke_text

        write_smoke_text(package, run, sys.stderr, options.quiet)

    outcome = run_build(request, BuildObserver(text.progress, built, smoked))
    if json is not None:
        document = build_to_json(outcome.report, outcome.smoke)
        if outcome.exit_status != 0:
            document["error"] = {
                "message": failure_message(outcome),
                "exit_status": outcome.exit_status,
            }
        json.write(document)
    return outcome.exit_status


def failure_message(outcome: BuildOutcome) -> str:
    """The error of a build that did not succeed: each package that failed, and why, in
    the words of the text report (go's own message for a compile error)."""
    report = outcome.report
    said = [report.check_error.strip()] if report.check_error else []
    for result in report.results:
        run = (outcome.smoke or {}).get(result.package)
        if result.go_error is not None:
            said.append(f"{result.package}: go build failed: {result.go_error.strip()}")
        elif not result.static:
            reason = "; ".join(d for _, d in result.hazards) or "no strategy gave a static binary"
            said.append(f"{result.package}: {reason}; nothing written")
        elif run is not None and run.failed:
            said.append(f"{result.package}: the smoke run failed: {run.detail}")
    return "; ".join(said) or "the build failed"
