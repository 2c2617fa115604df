"""Where a build writes, as go decides it: a command line that names several packages
writes nothing without -o, even when only one of them is main, and -o FILE is refused
for it; one main package alone is written to ./NAME. The oracle is go itself, run on the
same command line in a copy of the same module."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support import GO, SEED_FMT, SEED_SYSLOG, requires_go, run_gostatic, write_module

pytestmark = requires_go

LIBRARY = "package lib\n\nfunc Answer() int { return 42 }\n"


def files_after(module: Path, command: list[str], runner: str, env: dict[str, str]) -> set[str]:
    """The files at the module's top after ``command`` (go's or gostatic's) and its status."""
    copy = module.parent / f"{module.name}-{runner}"
    shutil.copytree(module, copy)
    if runner == "go":
        assert GO is not None
        done = subprocess.run([GO, *command], cwd=copy, capture_output=True, check=False)
        status = done.returncode
    else:
        status = run_gostatic(command, copy, env).returncode
    return {p.name for p in copy.iterdir() if p.is_file()} | {f"exit {min(status, 1)}"}


@pytest.mark.parametrize(
    ("files", "command"),
    [
        ({"cmd/app/main.go": SEED_FMT, "lib/lib.go": LIBRARY}, ["build", "./..."]),
        ({"cmd/app/main.go": SEED_FMT, "lib/lib.go": LIBRARY}, ["build", "-o", "x", "./..."]),
        ({"cmd/app/main.go": SEED_FMT, "lib/lib.go": LIBRARY}, ["build", "./cmd/app", "./lib"]),
        ({"logger/main.go": SEED_SYSLOG}, ["build", "./missing", "./logger"]),
        ({"cmd/app/main.go": SEED_FMT}, ["build", "./..."]),
        ({"cmd/app/main.go": SEED_FMT}, ["build", "./cmd/app"]),
    ],
    ids=["pattern", "pattern-o-file", "two-args", "missing-and-main", "one-main", "named"],
)
def test_what_is_written_is_what_go_writes(
    tmp_path: Path, gostatic_env: dict[str, str], files: dict[str, str], command: list[str]
) -> None:
    module = write_module(tmp_path / "m", files)
    assert files_after(module, command, "gostatic", gostatic_env) == files_after(
        module, command, "go", gostatic_env
    )
