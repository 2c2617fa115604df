"""Command lines go would refuse, or that would put something other than a verified program
at the output, are usage errors (exit 2) before anything runs, in gostatic's own words.

Every test runs gostatic as a real process on a real module; go's calls are counted with a
wrapper (GOSTATIC_GO, tests.support.logging_go) to show that nothing ran.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from gostatic.go.flagset import BOOL_FLAGS, VALUE_FLAGS
from gostatic.incremental import codec
from gostatic.incremental.plan import PLAN_KIND
from tests.support import (
    GO,
    SEED_FMT,
    assert_static_by_readelf,
    go_subcommands,
    logged_go_calls,
    requires_go,
    run_gostatic,
    write_module,
)

pytestmark = [pytest.mark.slow, requires_go]

LIB = "package lib\n\nfunc F() int { return 1 }\n"


@pytest.fixture
def module(tmp_path: Path) -> Path:
    return write_module(tmp_path / "m", {"hello/main.go": SEED_FMT, "lib/lib.go": LIB})


def _go_calls(log: Path) -> list[str]:
    return go_subcommands(logged_go_calls(log))


def _refused(stderr: str) -> str:
    """The one line of a refusal, checked to be gostatic's own and alone."""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("gostatic: "), stderr
    assert "usage: go" not in stderr and "Traceback" not in stderr, stderr
    return lines[0]


# --- item 1: -o FILE and no main package --------------------------------------------------


def test_o_naming_a_file_for_a_package_that_is_not_main_is_refused_and_keeps_the_output(
    module: Path, gostatic_env: dict[str, str]
) -> None:
    assert run_gostatic(["build", "-o", "out", "./hello"], module, gostatic_env).returncode == 0
    before = (module / "out").read_bytes()
    run = run_gostatic(["build", "-o", "out", "./lib"], module, gostatic_env)
    assert run.returncode == 2, run.stderr
    line = _refused(run.stderr)
    assert "-o out" in line and "example.com/m/lib is not a main package" in line
    # go build would have written the package's archive (!<arch>) there.
    assert (module / "out").read_bytes() == before
    assert_static_by_readelf(module / "out")


@pytest.mark.parametrize(
    ("argv", "env_goflags"),
    [
        (["-o", "new", "./lib"], None),
        (["-o", "new", "./lib", "./lib"], None),
        (["./lib"], "-o=new"),  # go takes -o from GOFLAGS too
    ],
    ids=["one", "twice", "goflags"],
)
def test_o_file_without_main_package_writes_nothing_and_runs_no_build(
    module: Path,
    counted: tuple[dict[str, str], Path],
    argv: list[str],
    env_goflags: str | None,
) -> None:
    env, log = counted
    if env_goflags is not None:
        env = {**env, "GOFLAGS": env_goflags}
    run = run_gostatic(["build", *argv], module, env)
    assert run.returncode == 2, run.stderr
    assert "not a main package" in _refused(run.stderr)
    assert not (module / "new").exists()
    assert "build" not in _go_calls(log)


def test_a_directory_or_dev_null_are_left_to_go_for_a_package_that_is_not_main(
    module: Path, gostatic_env: dict[str, str]
) -> None:
    run = run_gostatic(["build", "-o", os.devnull, "./lib"], module, gostatic_env)
    assert run.returncode == 0, run.stderr  # go checks that it builds, and writes nothing
    run = run_gostatic(["build", "-o", "bin/", "./lib"], module, gostatic_env)
    assert (run.returncode, run.stderr) == (1, "go: no main packages to build\n")


def test_o_file_without_main_package_under_json_prints_the_error_document(
    module: Path, gostatic_env: dict[str, str]
) -> None:
    run = run_gostatic(["build", "--json", "-o", "out", "./lib"], module, gostatic_env)
    assert run.returncode == 2
    document = json.loads(run.stdout)
    assert document["results"] == [] and document["error"]["exit_status"] == 2
    assert "not a main package" in document["error"]["message"]


# --- item 7: arguments after the packages --------------------------------------------------


@pytest.mark.parametrize(
    ("after", "named"),
    [
        (["--json"], "--json must come before the packages"),
        (["--quiet"], "--quiet must come before the packages"),
        (["--strategy=netgo"], "--strategy must come before the packages"),
        (["--strategy", "netgo"], "--strategy must come before the packages"),
        (["--smoke"], "--smoke must come before the packages"),
        (["-v"], '"-v": leading dash'),
        (["-trimpath"], '"-trimpath": leading dash'),
        (["./lib", "-ldflags=-s"], '"-ldflags=-s": leading dash'),
        (["-"], '"-": leading dash'),
    ],
)
def test_a_dash_argument_after_the_packages_is_refused_before_anything_runs(
    module: Path, counted: tuple[dict[str, str], Path], after: list[str], named: str
) -> None:
    env, log = counted
    run = run_gostatic(["build", "-o", "x", "./hello", *after], module, env)
    assert run.returncode == 2, run.stderr
    assert named in _refused(run.stderr)
    assert not (module / "x").exists()
    assert _go_calls(log) == []


def test_program_arguments_after_double_dash_are_the_programs_with_smoke(
    module: Path, gostatic_env: dict[str, str]
) -> None:
    run = run_gostatic(
        ["build", "--smoke", "-o", "x", "./hello", "--", "--json", "-v"], module, gostatic_env
    )
    assert run.returncode == 0, run.stderr
    assert_static_by_readelf(module / "x")


# --- item 8: unknown go build flags ---------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "named"),
    [
        ("-frobnicate", "unknown flag -frobnicate"),
        ("--frobnicate=1", "unknown flag -frobnicate"),
        ("-trimpth", "did you mean '-trimpath'?"),
        ("-x=maybe", 'invalid boolean value "maybe" for -x'),
        ("-p=many", 'invalid value "many" for flag -p'),
        ("---x", "bad flag syntax: ---x"),
        ("-strict", "unknown flag -strict"),  # gostatic's own options take two dashes
    ],
)
def test_a_flag_go_build_would_refuse_is_a_usage_error_naming_it(
    module: Path, counted: tuple[dict[str, str], Path], flag: str, named: str
) -> None:
    env, log = counted
    run = run_gostatic(["build", flag, "-o", "x", "./hello"], module, env)
    assert run.returncode == 2, run.stderr
    assert named in _refused(run.stderr)
    assert _go_calls(log) == []


def test_go_build_flags_in_every_form_go_accepts_still_build(
    module: Path, gostatic_env: dict[str, str]
) -> None:
    argv = [
        "build", "--trimpath", "-trimpath=true", "-a=false", "--v=0", "-p", "0x2",
        "-buildvcs=auto", "--tags", "a,b", "-gcflags=", "-o", "x", "./hello",
    ]  # fmt: skip
    run = run_gostatic(argv, module, gostatic_env)
    assert run.returncode == 0, run.stderr
    assert_static_by_readelf(module / "x")


def _flags_in_go_help() -> dict[str, bool]:
    """The flags `go help build` documents, each with whether it takes a value: read from
    the installed go's own text, not from gostatic."""
    assert GO is not None
    text = subprocess.run([GO, "help", "build"], capture_output=True, text=True, check=True).stdout
    found = {"o": True}  # in the usage line: go build [-o output]
    for match in re.finditer(r"^\t-([a-zA-Z][\w-]*)( \S+)?$", text, re.MULTILINE):
        found[match[1]] = match[2] is not None
    return found


def test_every_flag_go_help_build_documents_is_in_the_table_with_its_kind() -> None:
    documented = _flags_in_go_help()
    assert len(documented) > 25, documented
    for flag, takes_value in documented.items():
        if flag == "buildvcs":
            assert flag in BOOL_FLAGS  # documented with its values, taken bare too
        elif takes_value:
            assert flag in VALUE_FLAGS, flag
        else:
            assert flag in BOOL_FLAGS, flag


def test_every_flag_of_the_table_is_one_this_go_build_takes(module: Path) -> None:
    """go itself is the oracle: with -n it parses the flags and prints its plan only."""
    assert GO is not None
    values = {"C": ".", "p": "2", "buildmode": "exe", "compiler": "gc", "mod": "mod"}
    values |= {"covermode": "set", "pgo": "off", "o": os.devnull}
    for flag in sorted(BOOL_FLAGS | VALUE_FLAGS):
        given = [f"-{flag}"] if flag in BOOL_FLAGS else [f"-{flag}", values.get(flag, "")]
        if flag in ("asan", "msan", "race", "linkshared"):
            given = [f"-{flag}=false"]  # parsed, without needing their toolchains
        proc = subprocess.run(
            [GO, "build", "-n", *given, "./hello"],
            cwd=module,
            capture_output=True,
            text=True,
            check=False,
        )
        assert "flag provided but not defined" not in proc.stderr, (flag, proc.stderr)


# --- -buildmode from GOFLAGS, on both paths --------------------------------------------------


def test_goflags_buildmode_that_builds_no_program_is_refused_on_the_full_path(
    module: Path, counted: tuple[dict[str, str], Path]
) -> None:
    env, log = counted
    env = {**env, "GOFLAGS": "-buildmode=c-shared"}
    run = run_gostatic(["build", "-o", "x", "./hello"], module, env)
    assert run.returncode == 2, run.stderr
    assert "GOFLAGS sets -buildmode=c-shared" in _refused(run.stderr)
    assert not (module / "x").exists()
    assert "build" not in _go_calls(log)


def _tamper_plan(plan_file: Path, changes: dict[str, str]) -> None:
    pairs = codec.decode_pairs(PLAN_KIND, plan_file.read_bytes())
    assert pairs is not None
    plan_file.write_bytes(codec.encode(PLAN_KIND, [(n, changes.get(n, v)) for n, v in pairs]))


def test_goflags_buildmode_is_refused_on_the_fast_path_before_go_builds(
    module: Path, tmp_path: Path, counted: tuple[dict[str, str], Path]
) -> None:
    """GOFLAGS from `go env -w`'s file, rewritten to a build mode that builds no program
    while keeping the file's identity (inode, size, mtime: the plan's key), and a plan
    that agrees with it: the fast path takes the plan, and must not build."""
    env, log = counted
    go_env_file = tmp_path / "go-env"
    go_env_file.write_text("GOFLAGS=-buildmode=exe     \n")
    env = {**env, "GOENV": str(go_env_file)}
    argv = ["build", "-o", "x", "./hello"]
    assert run_gostatic(argv, module, env).returncode == 0
    before = (module / "x").read_bytes()
    stat = go_env_file.stat()
    with open(go_env_file, "r+") as f:  # same inode, same size
        f.write("GOFLAGS=-buildmode=c-shared\n")
    os.utime(go_env_file, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    [plan_file] = (Path(env["GOSTATIC_CACHE_DIR"]) / "plans").iterdir()
    _tamper_plan(plan_file, {"goflags": "-buildmode=c-shared"})
    _go_calls(log)

    run = run_gostatic(argv, module, env)
    assert run.returncode == 2, run.stderr
    assert "GOFLAGS sets -buildmode=c-shared" in _refused(run.stderr)
    assert "build" not in _go_calls(log)
    assert (module / "x").read_bytes() == before
