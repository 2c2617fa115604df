"""`gostatic build` without typer: its arguments are go's, and it runs on every Makefile
target, so it avoids typer's and rich's import cost (gostatic.cli.build is the same command
in typer, for help and completion).

Like every command: parse the command line into a request (gostatic.options), call the core
(gostatic.pipeline), hand what it tells and returns to the reporters (gostatic.report).
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # see gostatic.records: typing is not imported on the build path
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from gostatic.smoke import SmokeResult


def run_build_cli(
    argv: Sequence[str],
    env: Mapping[str, str],
    cwd: str,
    given: Mapping[str, object] | None = None,
) -> int:
    """Run `gostatic build ARGV` and return its exit status. ``given``: gostatic's own
    options, when typer parsed them already (see gostatic.options.build_request)."""
    from gostatic.exits import guarded

    return guarded(lambda: _run(argv, env, cwd, given))


def _run(
    argv: Sequence[str], env: Mapping[str, str], cwd: str, given: Mapping[str, object] | None
) -> int:
    from gostatic.options import build_request
    from gostatic.pipeline import BuildObserver, run_build
    from gostatic.report import write_json
    from gostatic.report.build import BuildTextReporter, build_to_json

    request = build_request(argv, env, cwd, given)
    options, go_args = request.options, request.go_args
    echo_go = go_args.has("v") or go_args.has("x")
    text = BuildTextReporter(sys.stderr, quiet=options.quiet, echo_go=echo_go)

    def smoked(package: str, run: SmokeResult) -> None:
        from gostatic.report.smoke import write_smoke_text

        write_smoke_text(package, run, sys.stderr, options.quiet)

    outcome = run_build(request, BuildObserver(text.progress, text.summary, smoked))
    if options.json:
        write_json(build_to_json(outcome.report, outcome.smoke), sys.stdout)
    return outcome.exit_status
