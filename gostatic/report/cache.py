"""Reporters for `gostatic cache`: an aligned table for people, a JSON document for scripts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from gostatic.cache import CacheEntry, entry_to_toml
from gostatic.incremental.stagecap import CacheUsage, format_size
from gostatic.records import Record
from gostatic.report import JSON_VERSION

_COLUMNS = ("PACKAGE", "STRATEGY", "TARGET", "GO", "CC", "CGO", "TAGS", "BUILDMODE", "FOUND")


class CacheSize(Record):
    """What the cache directory takes, and the stage's cap."""

    usage: CacheUsage
    limit: int


def cache_to_json(path: Path, entries: Sequence[CacheEntry], size: CacheSize) -> dict[str, object]:
    return {
        "version": JSON_VERSION,
        "path": str(path),
        "entries": [entry_to_toml(e) for e in entries],
        "size": {
            "bytes": size.usage.total,
            "stage_bytes": size.usage.stage,
            "stage_directories": size.usage.stages,
            "stage_limit_bytes": size.limit,
        },
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


def write_cache_table(
    path: Path, entries: Sequence[CacheEntry], out: TextIO, size: CacheSize
) -> None:
    if not entries:
        out.write(f"no entries in {path}\n")
    else:
        rows = [_COLUMNS, *(_row(e) for e in entries)]
        widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
        for row in rows:
            cells = zip(row, widths, strict=True)
            out.write("  ".join(cell.ljust(w) for cell, w in cells).rstrip() + "\n")
    out.write(size_text(path.parent, size) + "\n")


def size_text(directory: Path, size: CacheSize) -> str:
    """ "size: 41.9 MiB in DIR (stage: 41.8 MiB in 7 directories, limit 1.0 GiB)"."""
    usage = size.usage
    stages = counted(usage.stages, "directory", "directories")
    return (
        f"size: {format_size(usage.total)} in {directory} (stage: {format_size(usage.stage)} "
        f"in {stages}, limit {format_size(size.limit)})"
    )


def counted(number: int, singular: str, plural: str) -> str:
    """ "1 entry", "3 entries": the number with the noun that agrees with it."""
    return f"{number} {singular if number == 1 else plural}"


def cleared_text(directory: Path, removed: int) -> str:
    """What `gostatic cache clear` did to the whole cache."""
    if not removed:
        return f"nothing to remove in {directory}"
    return f"removed {counted(removed, 'item', 'items')} from {directory}"


def package_cleared_text(package: str, entries: int, plans: int, stages: int) -> str | None:
    """What `gostatic cache clear PACKAGE` removed; None when it removed nothing."""
    parts = []
    if entries:
        parts.append(counted(entries, "entry", "entries"))
    if plans:
        parts.append(counted(plans, "plan", "plans"))
    if stages:
        parts.append(f"its binaries from {counted(stages, 'stage directory', 'stage directories')}")
    if not parts:
        return None
    listed = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
    return f"removed {listed} for {package}"
