"""What a build is asked and what it reports: plain data shared by the fast path, the
ladder (gostatic.build) and the reporters, in a module cheap enough to import on every
Makefile target.

Records on that path (here, and in goflags, strategies, gocmd and stage) are immutable
NamedTuples rather than frozen dataclasses: importing dataclasses pulls in inspect, ~10 ms
measured, which is a fifth of an up-to-date `go build`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal, NamedTuple

from gostatic.errors import EXIT_FAILED, EXIT_NOT_STATIC, EXIT_OK
from gostatic.goflags import GoBuildArgs

Outcome = Literal["static", "dynamic", "build-failed", "skipped"]

# The detail of the attempt that won; reporters leave it out of the progress lines.
STATIC_DETAIL = "no interpreter, no DT_NEEDED"


class BuildOptions(NamedTuple):
    """gostatic's own options for a build, resolved once."""

    json: bool = False
    strategy: str | None = None
    strict: bool = False
    quiet: bool = False
    no_cache: bool = False  # neither read nor write the strategy cache
    cache_dir: Path | None = None  # --cache-dir, relative to the request's cwd
    pin: bool = False  # write each winning strategy into the project's gostatic.toml


class BuildRequest(NamedTuple):
    go_args: GoBuildArgs
    options: BuildOptions
    env: Mapping[str, str]
    cwd: Path


class Attempt(NamedTuple):
    strategy: str
    outcome: Outcome
    detail: str
    # What go printed on stderr for this attempt: shown when the user asked go to talk
    # (-v, -x); not part of the JSON contract.
    go_output: str = ""


class PackageResult(NamedTuple):
    package: str
    output: str | None
    strategy: str | None
    static: bool
    hazards: tuple[tuple[str, str], ...]
    attempts: tuple[Attempt, ...]
    up_to_date: bool = False
    go_error: str | None = None  # go's own message when the code does not compile

    @property
    def failed_to_compile(self) -> bool:
        return self.go_error is not None


class BuildReport(NamedTuple):
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


ProgressFn = Callable[[str, Attempt], None]


def no_progress(package: str, attempt: Attempt) -> None:
    pass
