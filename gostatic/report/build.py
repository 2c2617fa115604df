"""Reporters: turn core results into text for people (stderr) or JSON for scripts (stdout).

Kept free of rich and typer so that `gostatic build` starts fast; colour belongs to the
commands people read interactively.
"""

from __future__ import annotations

from gostatic.builder.results import STATIC_DETAIL
from gostatic.records import TYPE_CHECKING
from gostatic.report import JSON_VERSION

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import TextIO

    from gostatic.builder.results import Attempt, BuildReport, PackageResult
    from gostatic.smoke import SmokeResult


def build_to_json(
    report: BuildReport, smoke: Mapping[str, SmokeResult] | None = None
) -> dict[str, object]:
    """The design's document; with ``smoke`` (--smoke) each result also gets its run."""
    results = [_result_to_json(r) for r in report.results]
    if smoke is not None:
        from gostatic.report.smoke import smoke_to_json

        for entry, result in zip(results, report.results, strict=True):
            run = smoke.get(result.package)
            entry["smoke"] = None if run is None else smoke_to_json(run)
    return {"version": JSON_VERSION, "results": results}


def _result_to_json(result: PackageResult) -> dict[str, object]:
    return {
        "package": result.package,
        "output": result.output,
        "strategy": result.strategy,
        "static": result.static,
        "hazards": [{"kind": k, "detail": d} for k, d in result.hazards],
        "needs": list(result.needs),
        "attempts": [
            {"strategy": a.strategy, "outcome": a.outcome, "detail": a.detail}
            for a in result.attempts
        ],
    }


class BuildTextReporter:
    """Progress and outcome lines on stderr, in the `tool: subject: message` form of go's own."""

    def __init__(self, err: TextIO, quiet: bool, echo_go: bool = False) -> None:
        self.err = err
        self.quiet = quiet
        self.echo_go = echo_go  # the user passed -v or -x: go's own chatter is wanted

    def _say(self, line: str) -> None:
        self.err.write(f"gostatic: {line}\n")
        self.err.flush()

    def progress(self, package: str, attempt: Attempt) -> None:
        if self.echo_go and attempt.go_output:
            self.err.write(attempt.go_output)
        # The winning attempt is told in the summary line; the others as they happen.
        if self.quiet or (attempt.outcome == "static" and attempt.detail == STATIC_DETAIL):
            return
        detail = _continued(attempt.detail, "  ")
        self._say(f"{package}: {attempt.strategy}: {attempt.outcome}: {detail}")

    def summary(self, report: BuildReport) -> None:
        for warning in report.warnings:
            self._say(f"warning: {warning}")
        if report.check_error:
            self.err.write(report.check_error)
        for result in report.results:
            self._summarise(result)
        if not self.quiet:
            for note in report.notes:
                self._say(note)

    def _summarise(self, result: PackageResult) -> None:
        where = f" -> {result.output}" if result.output else ""
        if result.go_error is not None:
            self.err.write(result.go_error)  # go's own message, as go build prints it
            return
        if not result.static and not result.attempts:
            # Refused before any build (a plugin user): the reason is all there is to say.
            for _, detail in result.hazards:
                self._say(f"{result.package}: {detail}")
            return
        if not result.static:
            self._say(
                f"{result.package}: no strategy gave a static binary; "
                f"{'nothing written to ' + result.output if result.output else 'nothing written'}"
            )
            for a in result.attempts:
                detail = _continued(a.detail, " " * 33)
                self.err.write(f"  {a.strategy:<16} {a.outcome:<13} {detail}\n")
            return
        for kind, detail in result.hazards:
            self._say(f"warning: {result.package}: {kind} hazard: {detail}")
        if not self.quiet:
            state = "up to date" if result.up_to_date else "static"
            self._say(f"{result.package}: {state} ({result.strategy}){where}")
            self._tell_needs(result)

    def _tell_needs(self, result: PackageResult) -> None:
        """Each file the binary will look for at run time, with what provides it."""
        if not result.needs:
            return
        from gostatic.elf.needs import remedy

        for need in result.needs:
            self._say(f"{result.package}: needs {need}: {remedy(need)}")


def _continued(detail: str, indent: str) -> str:
    """A detail of several lines (a linker's own words under its summary), each line after
    the first indented under it."""
    return detail.replace("\n", "\n" + indent)
