"""`gostatic verify`: classify files as static, static-pie or dynamic, and collect hazards."""

from __future__ import annotations

from gostatic.elf.facts import ElfFacts, inspect_elf
from gostatic.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, ElfError
from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from collections.abc import Sequence


class VerifyEntry(Record):
    path: str
    facts: ElfFacts | None
    error: str | None  # one line, path first, when the file is not a readable ELF program


class VerifyReport(Record):
    entries: tuple[VerifyEntry, ...]
    strict: bool

    @property
    def exit_status(self) -> int:
        """2 if any file is not a readable program, else 1 if any is dynamic (or, strict,
        hazardous)."""
        if any(e.error is not None for e in self.entries):
            return EXIT_USAGE
        for entry in self.entries:
            facts = entry.facts
            if facts is not None and (not facts.is_static or (self.strict and facts.hazards)):
                return EXIT_FAILED
        return EXIT_OK


def verify(paths: Sequence[str], strict: bool = False) -> VerifyReport:
    """Inspect every path; a file that cannot be read is reported, never stops the others."""
    entries = []
    for path in paths:
        try:
            entries.append(VerifyEntry(path, inspect_elf(path), None))
        except ElfError as exc:
            entries.append(VerifyEntry(path, None, exc.message))
    return VerifyReport(tuple(entries), strict)
