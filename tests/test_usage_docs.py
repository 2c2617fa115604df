"""The documentation of the command line is the command line as it is: every option of
build in docs/getting-started.md, every exit status in the docs and in each --help, and
the README's matrix example runs as written, from a checkout."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from gostatic import errors
from gostatic.builder.options import BUILD_OPTIONS, OwnOption
from tests.support import REPO_ROOT, requires_go, run_gostatic

GETTING_STARTED = (REPO_ROOT / "docs" / "getting-started.md").read_text(encoding="utf-8")
README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
EXIT_STATUSES = {v for k, v in vars(errors).items() if k.startswith("EXIT_")}


def _table_after(heading: str, text: str) -> list[list[str]]:
    """The rows (cells stripped) of the first table after ``heading``."""
    rest = text[text.index(heading) :]
    rows = []
    for line in rest.splitlines()[1:]:
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
        elif rows:
            break
    return rows[2:]  # past the header and its rule


@pytest.mark.parametrize("option", BUILD_OPTIONS, ids=[o.flag for o in BUILD_OPTIONS])
def test_every_build_option_is_in_the_getting_started_table(option: OwnOption) -> None:
    flag = option.flag
    rows = _table_after("gostatic's own options", GETTING_STARTED)
    assert any(row[0].strip("`").split()[0] == flag for row in rows), flag


def test_the_exit_status_table_has_every_exit_status() -> None:
    rows = _table_after("## Exit status", GETTING_STARTED)
    assert {int(row[0]) for row in rows} == EXIT_STATUSES


HELP = [
    ["build"], ["verify"], ["explain"], ["matrix"], ["init"],
    ["cache", "show"], ["cache", "path"], ["cache", "clear"],
]  # fmt: skip


@pytest.mark.parametrize("command", HELP, ids=[" ".join(c) for c in HELP])
def test_every_help_states_its_exit_statuses(
    command: list[str], tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    env = {**gostatic_env, "NO_COLOR": "1", "COLUMNS": "200", "TERM": "dumb"}
    run = run_gostatic([*command, "--help"], tmp_path, env)
    assert run.returncode == 0, run.stderr
    text = " ".join(run.stdout.replace("│", " ").split())
    assert re.search(r"\bExit 0\b", text), text
    if command == ["build"]:
        for status in EXIT_STATUSES - {0}:
            assert re.search(rf"; {status} ", text), status


@requires_go
@pytest.mark.slow
def test_the_readmes_matrix_example_runs_as_written(gostatic_env: dict[str, str]) -> None:
    [example] = re.findall(r"^\$ (cd \S+ && gostatic matrix .*)$", README, re.MULTILINE)
    cd, command = example.split(" && ")
    directory = REPO_ROOT / shlex.split(cd)[1]
    shown = README[README.index(example) :].split("```")[0].splitlines()[1:]
    run = run_gostatic(shlex.split(command)[1:], directory, gostatic_env)
    assert run.returncode == 0, run.stderr
    printed = run.stdout.splitlines()
    table = shown[: shown.index("")]
    assert printed[: len(table)] == table
    # The note names the checkout's directory, which the README shortens to "...".
    notes = [line.replace(str(REPO_ROOT), "...") for line in printed[len(table) + 1 :]]
    assert notes == [line for line in shown[len(table) + 1 :] if line]
