"""Reporters for `gostatic verify`: aligned plain text (pastes well into CI logs) and JSON
(the shapes are documented in docs/json.md, "gostatic verify --json")."""

from __future__ import annotations

from typing import TextIO

from gostatic.elf.facts import ElfFacts
from gostatic.elf.needs import remedy
from gostatic.report import JSON_VERSION
from gostatic.verify import VerifyReport


def facts_to_json(f: ElfFacts) -> dict[str, object]:
    go: dict[str, object] | None = None
    if f.go is not None:
        go = {"version": f.go.version, "path": f.go.path, "settings": dict(f.go.settings)}
    return {
        "path": f.path,
        "kind": f.kind,
        "interpreter": f.interpreter,
        "needed": list(f.needed),
        "machine": f.machine,
        "class": f.elf_class,
        "hazards": [{"kind": h.kind, "detail": h.detail} for h in f.hazards],
        "needs": list(f.needs),
        "go": go,
        "error": None,
    }


def error_to_json(path: str, message: str) -> dict[str, object]:
    return {
        "path": path,
        "kind": "error",
        "interpreter": None,
        "needed": [],
        "machine": None,
        "class": None,
        "hazards": [],
        "needs": [],
        "go": None,
        "error": message,
    }


def verify_to_json(report: VerifyReport) -> dict[str, object]:
    files = [
        facts_to_json(e.facts) if e.facts is not None else error_to_json(e.path, e.error or "")
        for e in report.entries
    ]
    return {"version": JSON_VERSION, "files": files}


def _notes(facts: ElfFacts) -> str:
    loader = facts.run_time_needs()
    parts = [loader] if loader else []
    parts.extend(f"hazard: {h.kind}" for h in facts.hazards)
    if facts.needs:
        parts.append("needs: " + ", ".join(facts.needs))
    return "; ".join(parts) or "-"


def _go(facts: ElfFacts) -> str:
    return facts.go.version if facts.go is not None else "-"


def write_verify_text(report: VerifyReport, out: TextIO, err: TextIO) -> None:
    """A table of the readable files on ``out``, then each hazard and need with what to do;
    one line per unreadable file on ``err``."""
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
        for need in entry.facts.needs:
            out.write(f"{entry.path}: needs {need}: {remedy(need)}\n")
