"""Reporters for `gostatic verify`: aligned plain text (pastes well into CI logs) and JSON."""

from __future__ import annotations

from typing import TextIO

from gostatic.elf import ElfFacts, error_to_json, facts_to_json
from gostatic.report import JSON_VERSION
from gostatic.verify import VerifyReport


def verify_to_json(report: VerifyReport) -> dict[str, object]:
    files = [
        facts_to_json(e.facts) if e.facts is not None else error_to_json(e.path, e.error or "")
        for e in report.entries
    ]
    return {"version": JSON_VERSION, "files": files}


def _notes(facts: ElfFacts) -> str:
    needs = facts.run_time_needs()
    parts = [needs] if needs else []
    parts.extend(f"hazard: {h.kind}" for h in facts.hazards)
    return "; ".join(parts) or "-"


def _go(facts: ElfFacts) -> str:
    return facts.go.version if facts.go is not None else "-"


def write_verify_text(report: VerifyReport, out: TextIO, err: TextIO) -> None:
    """A table of the readable files on ``out``; one line per unreadable file on ``err``."""
    for entry in report.entries:
        if entry.error is not None:
            err.write(f"gostatic: {entry.error}\n")
    rows = [
        (
            e.path,
            e.facts.kind,
            f"{e.facts.machine}/{e.facts.elf_class}",
            _go(e.facts),
            _notes(e.facts),
        )
        for e in report.entries
        if e.facts is not None
    ]
    if not rows:
        return
    header = ("FILE", "KIND", "MACHINE", "GO", "NOTES")
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(4)]
    for row in (header, *rows):
        cells = [row[i].ljust(widths[i]) for i in range(4)]
        out.write("  ".join([*cells, row[4]]).rstrip() + "\n")
    for entry in report.entries:
        if entry.facts is None:
            continue
        for hazard in entry.facts.hazards:
            out.write(f"{entry.path}: {hazard.kind} hazard: {hazard.detail}\n")
