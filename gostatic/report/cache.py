"""Reporters for `gostatic cache`: an aligned table for people, a JSON document for scripts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from gostatic.cache import CacheEntry, entry_to_toml
from gostatic.report import JSON_VERSION

_COLUMNS = ("PACKAGE", "STRATEGY", "TARGET", "GO", "CC", "CGO", "TAGS", "BUILDMODE", "FOUND")


def cache_to_json(path: Path, entries: Sequence[CacheEntry]) -> dict[str, object]:
    return {
        "version": JSON_VERSION,
        "path": str(path),
        "entries": [entry_to_toml(e) for e in entries],
    }


def _row(entry: CacheEntry) -> tuple[str, ...]:
    k = entry.key
    return (
        k.package,
        entry.strategy,
        f"{k.goos}/{k.goarch}",
        k.go,
        k.cc or "-",
        "on" if k.cgo else "off",
        ",".join(k.tags) or "-",
        k.buildmode,
        entry.found,
    )


def write_cache_table(path: Path, entries: Sequence[CacheEntry], out: TextIO) -> None:
    if not entries:
        out.write(f"no entries in {path}\n")
        return
    rows = [_COLUMNS, *(_row(e) for e in entries)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    for row in rows:
        out.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        out.write("\n")


def counted(number: int, singular: str, plural: str) -> str:
    """ "1 entry", "3 entries": the number with the noun that agrees with it."""
    return f"{number} {singular if number == 1 else plural}"


def cleared_text(directory: Path, removed: int) -> str:
    """What `gostatic cache clear` did to the whole cache."""
    if not removed:
        return f"nothing to remove in {directory}"
    return f"removed {counted(removed, 'item', 'items')} from {directory}"


def package_cleared_text(package: str, entries: int, plans: int) -> str | None:
    """What `gostatic cache clear PACKAGE` removed; None when it removed nothing."""
    parts = []
    if entries:
        parts.append(counted(entries, "entry", "entries"))
    if plans:
        parts.append(counted(plans, "plan", "plans"))
    return f"removed {' and '.join(parts)} for {package}" if parts else None
