"""`gostatic matrix` as the seed's table (rows = modes) or as JSON."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from gostatic.matrix import Cell, MatrixReport, ProgressFn
from gostatic.report import JSON_VERSION

_COLUMNS = (("Static", "static"), ("Dynamic", "dynamic"), ("Failed", "build-failed"))


def matrix_to_json(report: MatrixReport) -> dict[str, object]:
    return {
        "version": JSON_VERSION,
        "modes": list(report.modes),
        "cells": [{"mode": c.mode, "package": c.package, "result": c.result} for c in report.cells],
    }


def _names(cells: list[Cell]) -> str:
    return " ".join(sorted(c.short for c in cells)) or "-"


def _rows(report: MatrixReport) -> list[tuple[str, ...]]:
    """The header, its underline, and a row per mode: the programs in each column."""
    header = ("Type", *(title for title, _ in _COLUMNS))
    rows = [header, tuple("-" * len(h) for h in header)]
    for mode in report.modes:
        cells = [c for c in report.cells if c.mode == mode]
        rows.append((mode, *(_names([c for c in cells if c.result == r]) for _, r in _COLUMNS)))
    return rows


def write_matrix_text(report: MatrixReport, out: TextIO) -> None:
    """The seed's `make` output: per mode, which programs came out static and which dynamic;
    programs that did not build in a mode are listed too, with go's reason below the table."""
    rows = _rows(report)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        out.write("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n")
    failed = [c for c in report.cells if c.result == "build-failed"]
    if failed:
        out.write("\n")
    for cell in failed:
        out.write(f"{cell.mode} {cell.short}: {cell.detail}\n")


def _silent(cell: Cell, done: int, total: int) -> None:
    pass


@contextmanager
def matrix_progress(err: TextIO, wanted: bool) -> Iterator[ProgressFn]:
    """A progress bar on ``err`` while the matrix builds, where someone is watching: only if
    ``wanted`` (not with --json) and ``err`` is a terminal. It is cleared when the matrix is
    done, so the terminal keeps the table alone; a pipe or a log file never sees it."""
    if not (wanted and err.isatty()):
        yield _silent
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(file=err)
    if console.is_dumb_terminal:  # TERM=dumb: no cursor movement to redraw a bar with
        yield _silent
        return
    columns = (
        TextColumn("matrix"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("", total=None)  # the number of cells is known after go list

        def advance(cell: Cell, done: int, total: int) -> None:
            last = f"{cell.mode} {cell.short}: {cell.result}"
            bar.update(task, completed=done, total=total, description=last)

        yield advance
