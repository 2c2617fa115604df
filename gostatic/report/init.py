"""What `gostatic init` did, one plain line per file (it pastes into a CI log as is)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

from gostatic.scaffold import InitFile, InitReport

_NOTE = {
    "wrote": "",
    "replaced": " (--force)",
    "kept": ": it differs from gostatic's template; --force replaces it",
    "unchanged": ": already the same as gostatic's template",
}

# What to do with each file once it is there.
_NEXT = {
    "gostatic.mk": "add `include gostatic.mk` to your Makefile and build with $(GOSTATIC_BUILD)",
    "Dockerfile.scratch": "docker build -f Dockerfile.scratch --build-arg PACKAGE=./cmd/NAME .",
    "gostatic.yml": "commit .github/workflows/gostatic.yml to build and verify on every push",
}


def write_init_text(report: InitReport, cwd: Path, out: TextIO, err: TextIO) -> None:
    for item in report.files:
        if item.action == "failed":
            err.write(f"gostatic: cannot write {_shown(item, cwd)}: {item.error}\n")
        else:
            out.write(f"{item.action} {_shown(item, cwd)}{_NOTE[item.action]}\n")
    for item in report.files:
        if item.action in ("wrote", "replaced") and item.path.name in _NEXT:
            out.write(f"next: {_NEXT[item.path.name]}\n")


def _shown(item: InitFile, cwd: Path) -> str:
    """The path as the user would type it from where they ran the command."""
    return os.path.relpath(item.path, cwd) if item.path.is_relative_to(cwd) else str(item.path)
