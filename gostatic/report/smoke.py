"""Reporters for a smoke run: what the binary printed in an empty root, and how it ended."""

from __future__ import annotations

from typing import TextIO

from gostatic.smoke import SmokeResult


def smoke_to_json(run: SmokeResult) -> dict[str, object]:
    return {
        "status": run.status,
        "exit_status": run.exit_status,
        "stdout": run.stdout,
        "stderr": run.stderr,
        "detail": run.detail,
    }


def _ending(run: SmokeResult) -> str:
    if run.status == "skipped":
        return f"skipped: {run.detail}"
    if run.status == "ran" and run.exit_status is not None and run.exit_status < 0:
        return f"killed by signal {-run.exit_status} {run.detail}"
    if run.status == "ran":
        return f"exit status {run.exit_status} {run.detail}"
    return f"{run.status}: {run.detail}"


def write_smoke_text(package: str, run: SmokeResult, err: TextIO, quiet: bool) -> None:
    """One line with the outcome, then the program's output indented; quiet keeps failures."""
    if quiet and not run.failed:
        return
    err.write(f"gostatic: {package}: smoke: {_ending(run)}\n")
    for name, text in (("stdout", run.stdout), ("stderr", run.stderr)):
        for line in text.splitlines():
            err.write(f"  {name}| {line}\n")
    err.flush()
