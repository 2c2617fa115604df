"""The scratch check: `gostatic build --smoke -- ARGS` runs the output in an empty root."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from gostatic.smoke import run_in_empty_root
from tests.support import SEED_CGO, requires_go, run_gostatic, write_module

pytestmark = [pytest.mark.slow, requires_go]

ECHO = """package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Printf("args %q env %d\\n", os.Args[1:], len(os.Environ()))
	fmt.Fprintln(os.Stderr, "a line on stderr")
	if len(os.Args) > 1 && os.Args[1] == "fail" {
		os.Exit(7)
	}
}
"""


# Like syncthing's --version: it needs HOME before it does anything else.
NEEDS_HOME = """package main

import (
	"fmt"
	"os"
)

func main() {
	home, err := os.UserHomeDir()
	if err != nil {
		fmt.Println("no home:", err)
		os.Exit(1)
	}
	fmt.Println("home", home, "lang", os.Getenv("LANG"))
}
"""


@pytest.fixture
def mod(tmp_path: Path) -> Path:
    return write_module(tmp_path / "echo", {"main.go": ECHO, "cgo/main.go": SEED_CGO})


def test_smoke_reports_output_and_exit_status(mod: Path, gostatic_env: dict[str, str]) -> None:
    run = run_gostatic(
        ["build", "--smoke", "--json", "-o", "app", ".", "--", "one", "two words"],
        mod,
        gostatic_env,
    )
    assert run.returncode == 0, run.stderr
    [result] = json.loads(run.stdout)["results"]
    smoke = result["smoke"]
    assert (smoke["status"], smoke["exit_status"]) == ("ran", 0)
    # The arguments arrive intact; the environment is empty, as in a scratch image.
    assert smoke["stdout"] == 'args ["one" "two words"] env 0\n'
    assert smoke["stderr"] == "a line on stderr\n"
    assert "smoke: exit status 0 in an empty root" in run.stderr
    assert "  stdout| args" in run.stderr


def test_help_after_the_double_dash_goes_to_the_program(
    mod: Path, gostatic_env: dict[str, str]
) -> None:
    run = run_gostatic(
        ["build", "--smoke", "--json", "-o", "app", ".", "--", "--help"], mod, gostatic_env
    )
    assert run.returncode == 0, run.stderr
    [result] = json.loads(run.stdout)["results"]
    assert result["smoke"]["stdout"] == 'args ["--help"] env 0\n'


def test_a_failing_run_makes_the_build_exit_1(mod: Path, gostatic_env: dict[str, str]) -> None:
    run = run_gostatic(["build", "--smoke", "-o", "app", ".", "--", "fail"], mod, gostatic_env)
    assert run.returncode == 1
    assert "smoke: exit status 7" in run.stderr
    assert (mod / "app").exists()  # the binary is static: it stays installed


def test_without_chroot_the_smoke_run_is_skipped_with_a_reason(
    mod: Path, gostatic_env: dict[str, str]
) -> None:
    go = shutil.which("go")
    assert go is not None
    env = {**gostatic_env, "PATH": os.path.dirname(go)}  # go only: no chroot, no gcc
    run = run_gostatic(["build", "--smoke", "-o", "app", "."], mod, env)
    assert run.returncode == 0, run.stderr
    assert "smoke: skipped: chroot was not found on PATH" in run.stderr


def test_a_dynamic_binary_does_not_start_in_an_empty_root(mod: Path, tmp_path: Path) -> None:
    """Checked against go's own dynamic build: the oracle owes nothing to gostatic's ELF."""
    dynamic = tmp_path / "dynamic"
    subprocess.run(["go", "build", "-o", str(dynamic), "./cgo"], cwd=mod, check=True)
    result = run_in_empty_root(dynamic)
    assert result.status == "not-started"
    assert "failed to run command" in result.detail
    assert result.failed


def test_unprivileged_path_uses_a_user_namespace(mod: Path, tmp_path: Path) -> None:
    binary = tmp_path / "static"
    env = {**os.environ, "CGO_ENABLED": "0"}
    subprocess.run(["go", "build", "-o", str(binary), "."], cwd=mod, env=env, check=True)
    result = run_in_empty_root(binary, ["x"], privileged=False)
    if result.status == "skipped":
        pytest.skip(result.detail)
    assert (result.status, result.exit_status) == ("ran", 0)
    assert "unshare -r" in result.detail
    assert result.stdout == 'args ["x"] env 0\n'


def test_smoke_env_gives_the_program_what_it_needs(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    mod = write_module(tmp_path / "home", {"main.go": NEEDS_HOME})
    # The oracle can fail: in an empty environment the program stops at once.
    bare = run_gostatic(["build", "--smoke", "--json", "-o", "app", "."], mod, gostatic_env)
    assert bare.returncode == 1, bare.stderr
    [result] = json.loads(bare.stdout)["results"]
    if result["smoke"]["status"] == "skipped":
        pytest.skip(result["smoke"]["detail"])
    assert result["smoke"]["stdout"].startswith("no home:")

    run = run_gostatic(
        [
            "build", "--smoke", "--smoke-env", "HOME=/", "--smoke-env=LANG=C.UTF-8", "--json",
            "-o", "app", ".",
        ],
        mod,
        gostatic_env,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    [result] = json.loads(run.stdout)["results"]
    assert (result["smoke"]["status"], result["smoke"]["exit_status"]) == ("ran", 0)
    assert result["smoke"]["stdout"] == "home / lang C.UTF-8\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--smoke", "--smoke-env", "HOME"], "--smoke-env takes NAME=VALUE, not 'HOME'"),
        (["--smoke", "--smoke-env", "=x"], "--smoke-env takes NAME=VALUE"),
    ],
)
def test_smoke_env_takes_name_value_pairs_for_a_smoke_run(
    mod: Path, gostatic_env: dict[str, str], args: list[str], message: str
) -> None:
    run = run_gostatic(["build", *args, "-o", "app", "."], mod, gostatic_env)
    assert run.returncode == 2
    assert message in run.stderr
    assert not (mod / "app").exists()
