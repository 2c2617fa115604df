"""The command line as a person and a CI log meet it: version, help with examples, shell
completion, colour only on a terminal and never with NO_COLOR, plain build output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gostatic import __version__
from gostatic.builder.options import asks_for_help, split_own_options
from tests.support import (
    REPO_ROOT,
    SEED_SYSLOG,
    gostatic_command,
    requires_go,
    run_gostatic,
    run_on_terminal,
    write_module,
)

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ESC = "\x1b"


@pytest.fixture
def plain_env(gostatic_env: dict[str, str]) -> dict[str, str]:
    """No variable that asks for colour, whatever the machine running the tests sets."""
    env = {
        k: v
        for k, v in gostatic_env.items()
        if k not in {"FORCE_COLOR", "PY_COLORS", "GITHUB_ACTIONS", "TTY_COMPATIBLE", "NO_COLOR"}
    }
    env.update(TERM="xterm-256color", COLUMNS="100")
    return env


def test_version_matches_the_project_metadata(tmp_path: Path, plain_env: dict[str, str]) -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    run = run_gostatic(["--version"], tmp_path, plain_env)
    assert run.returncode == 0
    assert run.stdout == f"gostatic {project['version']}\n"
    assert __version__ == project["version"]


def _all_commands() -> list[tuple[str, object]]:
    """Every command of the typer app, subcommands of groups included, by full name."""
    import typer

    from gostatic.cli import app

    found: list[tuple[str, object]] = []

    def walk(prefix: str, command: object) -> None:
        children = getattr(command, "commands", None)
        if children:
            for name, child in children.items():
                walk(f"{prefix} {name}".strip(), child)
        else:
            found.append((prefix, command))

    walk("", typer.main.get_command(app))
    return found


def test_every_command_has_examples_in_its_help() -> None:
    commands = _all_commands()
    assert {"build", "init", "verify", "cache show"} <= {name for name, _ in commands}
    for name, command in commands:
        epilog = getattr(command, "epilog", None) or ""
        assert "Examples:" in epilog, f"`gostatic {name} --help` shows no example"
        assert f"gostatic {name}" in epilog, f"the examples of {name} do not run it"


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["build", "--help"],
        ["init", "--help"],
        ["verify", "--help"],
        ["cache", "show", "--help"],
        ["init", "--no-such-option"],
        ["verify", "no-such-file"],
    ],
    ids=["help", "build-help", "init-help", "verify-help", "cache-help", "usage", "verify-error"],
)
def test_output_off_a_terminal_has_no_escape_codes(
    tmp_path: Path, plain_env: dict[str, str], args: list[str]
) -> None:
    run = run_gostatic(args, tmp_path, plain_env)
    assert run.stdout + run.stderr, "nothing was printed"
    assert ESC not in run.stdout + run.stderr


def test_help_on_a_terminal_is_coloured_but_not_with_no_color(
    tmp_path: Path, plain_env: dict[str, str]
) -> None:
    command, env = gostatic_command(plain_env)
    status, coloured = run_on_terminal([*command, "--help"], tmp_path, env)
    assert status == 0
    assert ESC in coloured, "the check below could not fail"
    for args in (["--help"], ["init", "--help"], ["init", "--bad"], ["verify", "no-such-file"]):
        _, plain = run_on_terminal([*command, *args], tmp_path, {**env, "NO_COLOR": "1"})
        assert "gostatic" in plain
        assert ESC not in plain, f"NO_COLOR: escape codes in `gostatic {' '.join(args)}`"


def test_colour_asked_for_off_a_terminal_still_yields_to_no_color(
    tmp_path: Path, plain_env: dict[str, str]
) -> None:
    """typer colours help when FORCE_COLOR or GITHUB_ACTIONS is set (GitHub renders colour
    in its logs); NO_COLOR still wins."""
    for asks in ({"FORCE_COLOR": "1"}, {"GITHUB_ACTIONS": "true"}):
        coloured = run_gostatic(["--help"], tmp_path, {**plain_env, **asks})
        assert ESC in coloured.stdout, f"{asks}: the check below could not fail"
        plain = run_gostatic(["--help"], tmp_path, {**plain_env, **asks, "NO_COLOR": "1"})
        assert plain.returncode == 0
        assert ESC not in plain.stdout


def test_shell_completion_of_commands_and_strategy_names(
    tmp_path: Path, plain_env: dict[str, str]
) -> None:
    def complete(words: str) -> list[str]:
        env = {
            **plain_env,
            "_GOSTATIC_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
        }
        run = run_gostatic([], tmp_path, env)
        assert run.returncode == 0, run.stderr
        return run.stdout.split()

    assert {"build", "cache", "init", "verify"} <= set(complete("gostatic "))
    assert complete("gostatic build --strategy ext") == ["external-static"]
    assert "--force" in complete("gostatic init --f")

    # Without typer's switch, --show-completion ignores "bash" and asks shellingham for
    # the shell among the test's ancestor processes, which a detached run does not have.
    shown_env = {**plain_env, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    script = run_gostatic(["--show-completion", "bash"], tmp_path, shown_env)
    assert script.returncode == 0
    assert "_GOSTATIC_COMPLETE=complete_bash" in script.stdout
    assert "complete " in script.stdout and " gostatic" in script.stdout


@pytest.mark.parametrize(
    ("argv", "own", "go"),
    [
        (["-o", "app", "--json", "."], {"json": True}, ["-o", "app", "."]),
        (["-o", "app", "--strategy", "netgo", "."], {"strategy": "netgo"}, ["-o", "app", "."]),
        (["--tags", "x", "--quiet", "./cmd/a"], {"quiet": True}, ["--tags", "x", "./cmd/a"]),
        (["-o=app", "--strict", "."], {"strict": True}, ["-o=app", "."]),
        # After the first package everything belongs to go, as go's flag package does it.
        ([".", "--json"], {}, [".", "--json"]),
        (["-o", "--json", "."], {}, ["-o", "--json", "."]),  # -o's value, however odd
    ],
)
def test_own_options_stand_anywhere_among_go_flags(
    argv: list[str], own: dict[str, object], go: list[str]
) -> None:
    assert split_own_options(argv) == (own, go)


@pytest.mark.slow
@requires_go
def test_build_output_is_plain_lines_even_on_a_colour_terminal(
    tmp_path: Path, plain_env: dict[str, str]
) -> None:
    module = write_module(tmp_path / "m", {"main.go": SEED_SYSLOG})
    command, env = gostatic_command({**plain_env, "FORCE_COLOR": "1"})
    status, out = run_on_terminal([*command, "build", "-o", "app", "."], module, env)
    assert status == 0, out
    assert ESC not in out
    lines = out.replace("\r\n", "\n").splitlines()
    # One line per attempt that lost, then the outcome and the program's run-time need
    # (log/syslog resolves names), each in go's `tool: subject: ` form.
    assert all(ln.startswith("gostatic: example.com/m: ") for ln in lines), lines
    assert lines[-2] == "gostatic: example.com/m: static (netgo) -> app"
    assert lines[-1].startswith("gostatic: example.com/m: needs hosts: ")

    status, quiet = run_on_terminal([*command, "build", "--quiet", "-o", "app", "."], module, env)
    assert status == 0
    assert quiet == "", "--quiet prints nothing when all is well"


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_a_reader_that_went_away_is_not_success(
    json_flag: list[str], tmp_path: Path, plain_env: dict[str, str]
) -> None:
    # `gostatic verify ... | head` with head gone: a shell reports 141 (128 + SIGPIPE).
    command, env = gostatic_command(plain_env)
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [*command, "verify", *json_flag, "/bin/ls"],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    finally:
        os.close(write_end)
    assert proc.returncode == 141, proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr


@pytest.mark.parametrize(
    ("argv", "wanted"),
    [
        (["--help"], True),
        (["-o", "app", "--help"], True),
        (["-h", "."], True),
        (["--strategy", "netgo", "-help"], True),
        (["--smoke", "-o", "app", ".", "--", "--help"], False),
        (["-o", "app", ".", "--help"], False),
        (["--", "--help"], False),
        (["-o", "--help", "."], False),  # go reads it as -o's value
        (["--cache-dir", "-h", "."], False),
    ],
)
def test_help_is_asked_for_only_among_the_build_flags(argv: list[str], wanted: bool) -> None:
    assert asks_for_help(argv) is wanted


def test_build_help_after_a_flag_value_shows_help(
    tmp_path: Path, plain_env: dict[str, str]
) -> None:
    run = run_gostatic(["build", "-o", "app", "--help"], tmp_path, plain_env)
    assert run.returncode == 0, run.stderr
    assert "Usage: gostatic build" in run.stdout


def _command(name: str) -> object:
    return dict(_all_commands())[name]


def test_build_help_names_every_strategy() -> None:
    from gostatic.strategies import NAMES

    build = _command("build")
    description = getattr(build, "help", None) or ""
    [strategy] = [p for p in getattr(build, "params", []) if "--strategy" in p.opts]
    for name in NAMES:
        assert name in description, f"build's description leaves out {name}"
        assert name in (strategy.help or ""), f"--strategy's help leaves out {name}"


def test_matrix_help_names_every_strategy_mode() -> None:
    from gostatic.strategies import NAMES

    epilog = getattr(_command("matrix"), "epilog", None) or ""
    for name in NAMES:
        assert f"strategy:{name}" in epilog, f"matrix's help leaves out strategy:{name}"
