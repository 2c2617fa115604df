"""`gostatic build` argument handling without typer: its arguments are go's, and this path
runs on every Makefile target, so it avoids typer's and rich's import cost."""

from __future__ import annotations

import sys

from gostatic.errors import UsageError
from gostatic.goflags import takes_next_argument

TYPE_CHECKING = False  # see gostatic.records: typing is not imported on the build path
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from gostatic.results import BuildReport, BuildRequest
    from gostatic.smoke import SmokeResult

# gostatic's own build options; everything else belongs to go build.
_OWN_BOOL = {
    "--json": "json",
    "--strict": "strict",
    "--quiet": "quiet",
    "--no-cache": "no_cache",
    "--pin": "pin",
    "--smoke": "smoke",
}
_OWN_VALUE = {"--strategy": "strategy", "--cache-dir": "cache_dir"}


_HELP = {"-h", "-help", "--help"}


def asks_for_help(argv: Sequence[str]) -> bool:
    """Whether a help flag stands among the build flags: before ``--`` and the first package,
    and not as a flag's value. After them it belongs to go or, with --smoke, to the program."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in _HELP:
            return True
        if arg in ("--", "-") or not arg.startswith("-"):
            return False
        if arg in _OWN_VALUE or takes_next_argument(arg):
            i += 1
        i += 1
    return False


def split_own_options(argv: Sequence[str]) -> tuple[dict[str, object], list[str]]:
    """Take gostatic's double-dash options out of a build command line, wherever they stand
    among the flags; stop at ``--`` or the first package, as go does."""
    own: dict[str, object] = {}
    rest: list[str] = []
    i = 0
    in_flags = True
    while i < len(argv):
        arg = argv[i]
        name, eq, value = arg.partition("=")
        if in_flags and arg in _OWN_BOOL:
            own[_OWN_BOOL[arg]] = True
        elif in_flags and name in _OWN_VALUE:
            if not eq:
                if i + 1 >= len(argv):
                    raise UsageError(f"{name} needs a value")
                i += 1
                value = argv[i]
            own[_OWN_VALUE[name]] = value
        elif in_flags and takes_next_argument(arg) and i + 1 < len(argv):
            rest += [arg, argv[i + 1]]  # `-o app`: app is a value, not the first package
            i += 1
        else:
            if arg == "--" or not arg.startswith("-"):
                in_flags = False
            rest.append(arg)
        i += 1
    return own, rest


def run_build_cli(argv: Sequence[str], env: Mapping[str, str], cwd: str) -> int:
    from gostatic.exits import guarded

    return guarded(lambda: _run(argv, env, cwd))


def _run(argv: Sequence[str], env: Mapping[str, str], cwd: str) -> int:
    from gostatic.errors import EXIT_FAILED, EXIT_OK
    from gostatic.gocmd import GoSession
    from gostatic.goflags import parse_build_args
    from gostatic.incremental.fast import fast_build, start_full_path_queries
    from gostatic.report import write_json
    from gostatic.report.build import BuildTextReporter, build_to_json
    from gostatic.results import BuildOptions, BuildRequest
    from gostatic.strategies import strategy_named

    own, go_argv = split_own_options(argv)
    smoke = bool(own.get("smoke"))
    program_args: list[str] = []
    if smoke:
        from gostatic.smoke import split_program_args

        go_argv, program_args = split_program_args(go_argv)
    options = BuildOptions(
        json=bool(own.get("json")),
        strategy=str(own["strategy"]) if "strategy" in own else None,
        strict=bool(own.get("strict")),
        quiet=bool(own.get("quiet")),
        no_cache=bool(own.get("no_cache")),
        cache_dir=str(own["cache_dir"]) if own.get("cache_dir") else None,
        pin=bool(own.get("pin")),
    )
    if options.strategy is not None:
        strategy_named(options.strategy)  # a bad name is a usage error before any build
    request = BuildRequest(parse_build_args(go_argv), options, env, cwd)
    go_args = request.go_args
    echo_go = go_args.has("v") or go_args.has("x")
    reporter = BuildTextReporter(sys.stderr, quiet=options.quiet, echo_go=echo_go)
    session = GoSession()
    try:
        report = fast_build(request, session)
        if report is None:
            start_full_path_queries(request, session)
            from gostatic.build import build  # the full path: go env, go list -deps, ladder

            report = build(request, reporter.progress, session)
    finally:
        session.close()
    reporter.summary(report)
    status = report.exit_status
    smoke_runs = _smoke(report, request, program_args, options.quiet) if smoke else None
    if status == EXIT_OK and smoke_runs and any(run.failed for run in smoke_runs.values()):
        status = EXIT_FAILED
    if options.json:
        write_json(build_to_json(report, smoke_runs), sys.stdout)
    return status


def _smoke(
    report: BuildReport, request: BuildRequest, program_args: list[str], quiet: bool
) -> dict[str, SmokeResult]:
    """Run each static output in an empty root, telling each run on stderr."""
    from pathlib import Path

    from gostatic.report.smoke import write_smoke_text
    from gostatic.smoke import smoke_outputs

    base = Path(request.cwd) / (request.go_args.workdir or ".")
    built = [r for r in report.results if r.static]
    runs = smoke_outputs([r.output for r in built], base, program_args, request.env)
    for result, run in zip(built, runs, strict=True):
        write_smoke_text(result.package, run, sys.stderr, quiet)
    return {r.package: run for r, run in zip(built, runs, strict=True)}
