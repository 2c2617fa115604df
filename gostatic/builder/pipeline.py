"""A build from request to outcome: the fast path, else the full path, then the smoke runs.

A command that builds (`gostatic build`, gostatic.builder.entry) parses its command line into
a :class:`~gostatic.builder.results.BuildRequest`, calls :func:`run_build`, and hands the
:class:`~gostatic.builder.results.BuildOutcome` to its reporters; what happens meanwhile is told
to a :class:`BuildObserver`'s callbacks, so that people see each step as it happens.

This module is on the up-to-date path: the full path (gostatic.builder.full) and the smoke
runner are imported only when they are needed.
"""

from __future__ import annotations

from gostatic.builder.results import BuildOutcome, no_progress
from gostatic.go.output import with_goflags_output
from gostatic.go.session import GoSession
from gostatic.incremental.fast import fast_build
from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from collections.abc import Callable

    from gostatic.builder.results import BuildReport, BuildRequest, ProgressFn
    from gostatic.smoke import SmokeResult


def _ignore_report(report: BuildReport) -> None:
    pass


def _ignore_smoke_run(package: str, run: SmokeResult) -> None:
    pass


class BuildObserver(Record):
    """Who hears of a build as it goes; each callback does nothing unless given."""

    progress: ProgressFn = no_progress  # a rung was tried for a package (full path)
    # Every package is built (or not); the smoke runs, if asked for, come next.
    built: Callable[[BuildReport], None] = _ignore_report
    smoked: Callable[[str, SmokeResult], None] = _ignore_smoke_run  # one output ran


def run_build(request: BuildRequest, observer: BuildObserver | None = None) -> BuildOutcome:
    """Build what ``request`` names: the fast path when an earlier run settled this command
    (gostatic.incremental.fast), else the full path; then, with ``request.options.smoke``, run each
    static output in an empty root. Raises only for errors that stop the whole build."""
    observer = observer if observer is not None else BuildObserver()
    request = with_goflags_output(request)  # go writes where GOFLAGS' -o says
    session = GoSession()
    try:
        report = fast_build(request, session)
        if report is None:
            from gostatic.builder.headstart import start_head_start

            proof = start_head_start(request, session)  # go's first commands, first
            from gostatic.builder.full import full_build  # go env, go list -deps, the climbs

            report = full_build(request, observer.progress, session, proof)
    finally:
        session.close()
    observer.built(report)
    if not request.options.smoke:
        return BuildOutcome(report)
    return BuildOutcome(report, _smoke(report, request, observer))


def _smoke(
    report: BuildReport, request: BuildRequest, observer: BuildObserver
) -> dict[str, SmokeResult]:
    """Run each static output in an empty root, then tell each run."""
    from pathlib import Path

    from gostatic.smoke import smoke_outputs

    base = Path(request.cwd) / (request.go_args.workdir or ".")
    built = [r for r in report.results if r.static]
    options = request.options
    program_env = dict(setting.partition("=")[::2] for setting in options.smoke_env)
    runs = smoke_outputs(
        [r.output for r in built], base, options.program_args, request.env, program_env
    )
    for result, run in zip(built, runs, strict=True):
        observer.smoked(result.package, run)
    return {r.package: run for r, run in zip(built, runs, strict=True)}
