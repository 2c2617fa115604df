"""Progress on stderr for `gostatic matrix`: shown on a terminal (a real pseudo-terminal, as
a person has), never when stderr is piped, never with --json."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from gostatic.matrix import Cell
from gostatic.report.matrix import matrix_progress
from tests.support import (
    SEED_FMT,
    gostatic_command,
    requires_go,
    run_gostatic,
    run_on_terminal,
    write_module,
)

MODES = ["--modes", "auto,cgo0"]  # two cells: enough to see the count move


@pytest.fixture
def fmt_dir(tmp_path: Path) -> Path:
    return write_module(tmp_path / "m", {"fmt.go": SEED_FMT})


@pytest.fixture
def terminal_env(gostatic_env: dict[str, str]) -> dict[str, str]:
    return {**gostatic_env, "TERM": "xterm-256color", "COLUMNS": "100"}


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_progress_where_it_is_not_wanted_or_no_one_watches() -> None:
    cell = Cell("auto", "fmt.go", "fmt", "static", "")
    for stream, wanted in ((io.StringIO(), True), (_Terminal(), False)):
        with matrix_progress(stream, wanted) as progress:
            progress(cell, 1, 1)
        assert stream.getvalue() == ""


@pytest.mark.slow
@requires_go
def test_piped_stderr_gets_no_progress(fmt_dir: Path, terminal_env: dict[str, str]) -> None:
    run = run_gostatic(["matrix", *MODES, "fmt.go"], fmt_dir, terminal_env)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    assert run.stdout.splitlines()[0].split() == ["Type", "Static", "Dynamic", "Failed"]


@pytest.mark.slow
@requires_go
def test_a_terminal_sees_progress_then_the_table(
    fmt_dir: Path, terminal_env: dict[str, str]
) -> None:
    command, env = gostatic_command(terminal_env)
    status, screen = run_on_terminal([*command, "matrix", *MODES, "fmt.go"], fmt_dir, env)
    assert status == 0, screen
    assert "2/2" in screen and "cgo0 fmt: static" in screen, screen
    # The bar is cleared when done: the table comes after it, whole.
    table = screen[screen.rindex("Type") :].replace("\r\n", "\n")
    assert [line.split() for line in table.splitlines()] == [
        ["Type", "Static", "Dynamic", "Failed"],
        ["----", "------", "-------", "------"],
        ["auto", "fmt", "-", "-"],
        ["cgo0", "fmt", "-", "-"],
    ]


@pytest.mark.slow
@requires_go
def test_json_on_a_terminal_gets_no_progress(fmt_dir: Path, terminal_env: dict[str, str]) -> None:
    command, env = gostatic_command(terminal_env)
    status, screen = run_on_terminal([*command, "matrix", "--json", *MODES, "fmt.go"], fmt_dir, env)
    assert status == 0, screen
    doc = json.loads(screen)  # nothing but the document: no bar, no escape codes
    assert [c["result"] for c in doc["cells"]] == ["static", "static"]
