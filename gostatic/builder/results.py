"""What a build is asked and what it reports: plain data shared by the fast path, the
full path (gostatic.builder.full), the sequence that runs them (gostatic.builder.pipeline) and the
reporters, in a module cheap enough to import on every Makefile target.

Records on that path (here, and in goflags, strategies, gocmd and gostatic.incremental) are
immutable records declared like NamedTuples (gostatic.records), not frozen dataclasses:
importing dataclasses pulls in inspect, and typing pulls in re, ~10 ms each, measured,
against 40-70 ms for an up-to-date `go build`. Paths here are strings for the same reason
(pathlib imports re too).
"""

from __future__ import annotations

from gostatic.errors import EXIT_FAILED, EXIT_NOT_STATIC, EXIT_OK
from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Literal, TypeAlias

    from gostatic.elf.hazard import Hazard
    from gostatic.go.flags import GoBuildArgs
    from gostatic.smoke import SmokeResult

    Outcome: TypeAlias = Literal["static", "dynamic", "build-failed", "skipped"]
    ProgressFn: TypeAlias = Callable[[str, "Attempt"], None]

# The detail of the attempt that won; reporters leave it out of the progress lines.
STATIC_DETAIL = "no interpreter, no DT_NEEDED"


class BuildOptions(Record):
    """gostatic's own options for a build, resolved once (gostatic.builder.options declares the
    command-line options that set them)."""

    json: bool = False
    strategy: str | None = None
    strict: bool = False
    quiet: bool = False
    no_cache: bool = False  # neither read nor write the strategy cache
    cache_dir: str | None = None  # --cache-dir, relative to the request's cwd
    pin: bool = False  # write each winning strategy into the project's gostatic.toml
    smoke: bool = False  # run each static output in an empty root once built
    program_args: tuple[str, ...] = ()  # with smoke: the arguments each run gets
    smoke_env: tuple[str, ...] = ()  # with smoke: NAME=VALUE settings each run gets


class BuildRequest(Record):
    go_args: GoBuildArgs
    options: BuildOptions
    env: Mapping[str, str]
    cwd: str  # the directory go runs in, which relative paths start from


class Attempt(Record):
    strategy: str
    outcome: Outcome
    detail: str
    # What go printed on stderr for this attempt: shown when the user asked go to talk
    # (-v, -x); not part of the JSON contract.
    go_output: str = ""


class PackageResult(Record):
    package: str
    output: str | None
    strategy: str | None
    static: bool
    hazards: tuple[Hazard, ...]
    attempts: tuple[Attempt, ...]
    up_to_date: bool = False
    go_error: str | None = None  # go's own message when the code does not compile
    # What the static binary will look for at run time (sorted names, gostatic.elf.needs).
    needs: tuple[str, ...] = ()

    @property
    def failed_to_compile(self) -> bool:
        return self.go_error is not None


class BuildReport(Record):
    results: tuple[PackageResult, ...]
    check_error: str | None = None  # go's message when a non-main package failed to build
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # what gostatic did besides building (e.g. --pin)

    @property
    def exit_status(self) -> int:
        if self.check_error is not None or any(r.failed_to_compile for r in self.results):
            return EXIT_FAILED
        if any(not r.static for r in self.results):
            return EXIT_NOT_STATIC
        return EXIT_OK


class BuildOutcome(Record):
    """A build's report, with each static output's smoke run when they were asked for."""

    report: BuildReport
    smoke: Mapping[str, SmokeResult] | None = None  # by package, with --smoke

    @property
    def exit_status(self) -> int:
        status = self.report.exit_status
        if status == EXIT_OK and self.smoke and any(run.failed for run in self.smoke.values()):
            return EXIT_FAILED
        return status


def no_progress(package: str, attempt: Attempt) -> None:
    pass
