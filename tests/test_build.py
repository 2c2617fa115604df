"""`gostatic build` on real Go programs, checked with readelf and a run in an empty root."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import (
    OS_USER,
    REPO_ROOT,
    SEED_CGO,
    SEED_FMT,
    SEED_SYSLOG,
    assert_static_by_readelf,
    go_builds,
    logged_go_calls,
    logging_go,
    readelf_facts,
    requires_go,
    run_gostatic,
    run_in_empty_root,
    write_module,
)

pytestmark = [pytest.mark.slow, requires_go]


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    return write_module(
        tmp_path / "seed",
        {"fmt/main.go": SEED_FMT, "log-syslog/main.go": SEED_SYSLOG, "cgo/main.go": SEED_CGO},
    )


@pytest.mark.parametrize(
    ("program", "strategy"),
    [("fmt", "plain"), ("log-syslog", "netgo"), ("cgo", "external-static")],
)
def test_seed_programs_come_out_static_and_run_in_an_empty_root(
    seed: Path, tmp_path: Path, gostatic_env: dict[str, str], program: str, strategy: str
) -> None:
    run = run_gostatic(
        ["build", "--json", "-o", f"bin/{program}", f"./{program}"], seed, gostatic_env
    )
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    [result] = doc["results"]
    assert result["package"] == f"example.com/m/{program}"
    assert result["strategy"] == strategy
    assert result["static"] is True
    binary = seed / "bin" / program
    assert_static_by_readelf(binary)
    proc = run_in_empty_root(binary, tmp_path / "root")
    assert proc.returncode == 0, proc.stderr
    assert "Hello 42!" in proc.stdout + proc.stderr


def test_plain_go_build_of_the_dynamic_seeds_is_really_dynamic(seed: Path, tmp_path: Path) -> None:
    """The oracle can fail: without gostatic, readelf sees the interpreter."""
    for program in ("log-syslog", "cgo"):
        out = tmp_path / program
        subprocess.run(["go", "build", "-o", str(out), f"./{program}"], cwd=seed, check=True)
        has_interp, needed = readelf_facts(out)
        assert has_interp and "libc.so.6" in needed


def test_a_wrong_prediction_climbs_the_ladder_in_order(
    seed: Path, gostatic_env: dict[str, str]
) -> None:
    """No package uses cgo, so plain is predicted; the user's external link makes it dynamic."""
    run = run_gostatic(
        ["build", "--json", "-ldflags=-linkmode=external", "-o", "bin/", "./fmt"],
        seed,
        gostatic_env,
    )
    assert run.returncode == 0, run.stderr
    [result] = json.loads(run.stdout)["results"]
    outcomes = [(a["strategy"], a["outcome"]) for a in result["attempts"]]
    assert outcomes == [
        ("plain", "dynamic"),
        ("netgo", "dynamic"),
        ("cgo-off", "build-failed"),
        ("external-static", "static"),
    ]
    assert result["output"] == "bin/fmt"
    assert "cgo is not enabled" in result["attempts"][2]["detail"]
    assert_static_by_readelf(seed / "bin" / "fmt")


VERSIONED = """package main

// #include <stdlib.h>
// int one() { return abs(-1); }
import "C"
import (
	"fmt"
	"net"
)

var version = "dev"
var tagged = "untagged"

func main() {
	_ = net.ParseIP("127.0.0.1")
	fmt.Println(version, tagged, C.one())
}
"""

TAGGED = """//go:build mytag

package main

func init() { tagged = "tagged" }
"""


def test_user_ldflags_and_tags_survive_the_strategy(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    mod = write_module(tmp_path / "v", {"main.go": VERSIONED, "tag.go": TAGGED})
    run = run_gostatic(
        [
            "build",
            "--json",
            "-tags",
            "mytag",
            "-ldflags",
            "-s -w -X 'main.version=1.2 beta'",
            "-o",
            "app",
            ".",
        ],
        mod,
        gostatic_env,
    )
    assert run.returncode == 0, run.stderr
    [result] = json.loads(run.stdout)["results"]
    assert result["strategy"] == "external-static"
    assert_static_by_readelf(mod / "app")
    proc = run_in_empty_root(mod / "app", tmp_path / "root")
    assert proc.stdout.strip() == "1.2 beta tagged 1"


def test_os_user_program_is_static(tmp_path: Path, gostatic_env: dict[str, str]) -> None:
    mod = write_module(tmp_path / "u", {"main.go": OS_USER})
    run = run_gostatic(["build", "--json", "-o", "u", "."], mod, gostatic_env)
    assert run.returncode == 0, run.stderr
    [result] = json.loads(run.stdout)["results"]
    assert result["strategy"] == "netgo"  # osusergo is part of it: netgo alone stays dynamic
    assert_static_by_readelf(mod / "u")
    proc = run_in_empty_root(mod / "u", tmp_path / "root")
    assert proc.returncode == 0 and "lookup done" in proc.stdout


def test_syntax_error_stops_at_once_with_gos_message(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    mod = write_module(tmp_path / "bad", {"main.go": "package main\n\nfunc main() { x := }\n"})
    run = run_gostatic(["build", "--json", "-o", "out", "."], mod, gostatic_env)
    assert run.returncode == 1
    assert "syntax error" in run.stderr
    [result] = json.loads(run.stdout)["results"]
    assert len(result["attempts"]) == 1  # no further strategies were tried
    assert result["attempts"][0]["outcome"] == "build-failed"
    assert not (mod / "out").exists()


def test_failed_rebuild_leaves_the_good_binary_untouched(
    seed: Path, gostatic_env: dict[str, str]
) -> None:
    run = run_gostatic(["build", "-o", "app", "./fmt"], seed, gostatic_env)
    assert run.returncode == 0, run.stderr
    before = (seed / "app").read_bytes()
    inode = (seed / "app").stat().st_ino

    (seed / "fmt" / "main.go").write_text(SEED_FMT.replace("func main() {", "func main() { x := "))
    assert run_gostatic(["build", "-o", "app", "./fmt"], seed, gostatic_env).returncode == 1
    # The program now becomes dynamic and only `plain` is allowed: nothing static comes out.
    (seed / "fmt" / "main.go").write_text(SEED_CGO)
    run = run_gostatic(["build", "--strategy", "plain", "-o", "app", "./fmt"], seed, gostatic_env)
    assert run.returncode == 3
    assert "no strategy gave a static binary" in run.stderr

    assert (seed / "app").read_bytes() == before
    assert (seed / "app").stat().st_ino == inode
    assert sorted(p.name for p in seed.iterdir()) == ["app", "cgo", "fmt", "go.mod", "log-syslog"]


def test_nothing_static_means_exit_3_and_nothing_written(
    seed: Path, gostatic_env: dict[str, str]
) -> None:
    run = run_gostatic(
        ["build", "--json", "--strategy", "netgo", "-o", "out", "./cgo"], seed, gostatic_env
    )
    assert run.returncode == 3
    [result] = json.loads(run.stdout)["results"]
    assert result["static"] is False and result["strategy"] is None
    assert [a["outcome"] for a in result["attempts"]] == ["dynamic"]
    assert not (seed / "out").exists()
    assert "netgo" in run.stderr and "libc.so.6" in run.stderr


def test_several_main_packages_into_a_folder(tmp_path: Path, gostatic_env: dict[str, str]) -> None:
    mod = write_module(
        tmp_path / "multi",
        {
            "cmd/hello/main.go": SEED_FMT,
            "cmd/logger/main.go": SEED_SYSLOG,
            "cmd/cgoer/main.go": SEED_CGO,
            "internal/lib/lib.go": "package lib\n\nfunc X() int { return 1 }\n",
        },
    )
    run = run_gostatic(["build", "--json", "-o", "bin/", "./cmd/..."], mod, gostatic_env)
    assert run.returncode == 0, run.stderr
    results = {r["package"]: r for r in json.loads(run.stdout)["results"]}
    assert {k: v["strategy"] for k, v in results.items()} == {
        "example.com/m/cmd/cgoer": "external-static",
        "example.com/m/cmd/hello": "plain",
        "example.com/m/cmd/logger": "netgo",
    }
    assert sorted(p.name for p in (mod / "bin").iterdir()) == ["cgoer", "hello", "logger"]
    for binary in (mod / "bin").iterdir():
        assert_static_by_readelf(binary)


def test_several_packages_build_side_by_side_without_extra_builds(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    # One go build per predicted strategy (issue 17): the four plain commands share one,
    # the netgo one has its own; cold and with the stamps of the first run alike.
    files = {f"cmd/{name}/main.go": SEED_FMT for name in ("a", "b", "c", "d")}
    mod = write_module(tmp_path / "many", {**files, "cmd/logger/main.go": SEED_SYSLOG})
    wrapper, log = logging_go(tmp_path)
    env = {**gostatic_env, "GOSTATIC_GO": str(wrapper)}
    for _ in range(2):
        # The full path both times (the group fast path is tests/test_fastgroup.py's).
        shutil.rmtree(Path(env["GOSTATIC_CACHE_DIR"]) / "plans", ignore_errors=True)
        run = run_gostatic(["build", "--json", "-o", "bin/", "./cmd/..."], mod, env)
        assert run.returncode == 0, run.stderr
        strategies = {r["package"]: r["strategy"] for r in json.loads(run.stdout)["results"]}
        assert strategies == {
            **{f"example.com/m/cmd/{name}": "plain" for name in "abcd"},
            "example.com/m/cmd/logger": "netgo",
        }
        builds = go_builds(logged_go_calls(log))
        assert len(builds) == len(set(builds)) == 2, builds
    for binary in (mod / "bin").iterdir():
        assert_static_by_readelf(binary)


def test_a_library_that_does_not_compile_fails_the_build_with_gos_message(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    # The non-main packages of a pattern get go build's own check, run beside the ladders,
    # where go build gives them one.
    mod = write_module(
        tmp_path / "libs",
        {
            "cmd/app/main.go": SEED_FMT,
            "internal/good/good.go": "package good\n\nfunc X() int { return 1 }\n",
            "internal/bad/bad.go": "package bad\n\nfunc Y() int { return nope }\n",
        },
    )
    run = run_gostatic(["build", "--json", "./..."], mod, gostatic_env)
    assert run.returncode == 1
    assert "undefined: nope" in run.stderr and "Traceback" not in run.stderr
    [result] = json.loads(run.stdout)["results"]
    assert result["static"] is True  # the main package is still built and proved
    # With -o DIR/, go build builds only the main packages, and so does gostatic.
    assert run_gostatic(["build", "-o", "bin/", "./..."], mod, gostatic_env).returncode == 0
    assert_static_by_readelf(mod / "bin" / "app")
    (mod / "internal" / "bad" / "bad.go").write_text("package bad\n\nfunc Y() int { return 2 }\n")
    assert run_gostatic(["build", "./..."], mod, gostatic_env).returncode == 0


def test_a_pattern_with_no_main_package_and_an_output_directory_fails_as_go_does(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    mod = write_module(tmp_path / "libs", {"a/a.go": "package a\n\nfunc A() int { return 1 }\n"})
    go_build = ["go", "build", "-o", "bin/", "./..."]
    go = subprocess.run(go_build, cwd=mod, capture_output=True, text=True, check=False)
    run = run_gostatic(["build", "-o", "bin/", "./..."], mod, gostatic_env)
    assert go.returncode == run.returncode == 1
    assert "no main packages to build" in go.stderr and "no main packages to build" in run.stderr
    assert run_gostatic(["build", "./..."], mod, gostatic_env).returncode == 0


def test_default_output_name_matches_go(tmp_path: Path, gostatic_env: dict[str, str]) -> None:
    mod = write_module(tmp_path / "named", {"main.go": SEED_FMT}, module="example.com/tool/v2")
    run = run_gostatic(["build"], mod, gostatic_env)
    assert run.returncode == 0, run.stderr
    assert_static_by_readelf(mod / "tool")  # go build names example.com/tool/v2 "tool"


def test_up_to_date_rebuild_does_not_relink_or_rewrite(
    seed: Path, gostatic_env: dict[str, str]
) -> None:
    assert run_gostatic(["build", "-o", "app", "./log-syslog"], seed, gostatic_env).returncode == 0
    first = (seed / "app").stat()
    run = run_gostatic(["build", "-o", "app", "./log-syslog"], seed, gostatic_env)
    assert run.returncode == 0, run.stderr
    assert "up to date (netgo)" in run.stderr
    second = (seed / "app").stat()
    # Not copied again (same inode), only touched, as go build touches an up-to-date -o.
    assert second.st_ino == first.st_ino and second.st_mtime_ns >= first.st_mtime_ns


def test_deleted_output_is_restored_from_the_stage(
    seed: Path, gostatic_env: dict[str, str]
) -> None:
    assert run_gostatic(["build", "-o", "app", "./fmt"], seed, gostatic_env).returncode == 0
    (seed / "app").unlink()
    assert run_gostatic(["build", "-o", "app", "./fmt"], seed, gostatic_env).returncode == 0
    assert_static_by_readelf(seed / "app")


def test_missing_go_is_one_clear_line(seed: Path, gostatic_env: dict[str, str]) -> None:
    env = {**gostatic_env, "PATH": "/nonexistent"}
    run = run_gostatic(["build", "-o", "app", "./fmt"], seed, env)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        "gostatic: go: command not found on PATH (install Go, or set GOSTATIC_GO)"
    ]


def test_unknown_strategy_is_a_usage_error(seed: Path, gostatic_env: dict[str, str]) -> None:
    run = run_gostatic(["build", "--strategy", "-ldflags=-evil", "./fmt"], seed, gostatic_env)
    assert run.returncode == 2
    assert "unknown strategy" in run.stderr
    assert "Traceback" not in run.stderr


def _sigint_default() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _interrupt_gostatic(
    seed: Path, env: dict[str, str], args: list[str], started: Callable[[], bool]
) -> tuple[int, str]:
    """Run gostatic, send SIGINT to it alone (not to go) once ``started``; its status and stderr."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "gostatic", *args],
        cwd=seed,
        env={**env, "PYTHONPATH": str(REPO_ROOT)},
        stderr=subprocess.PIPE,
        text=True,
        # SIGINT as a terminal's Ctrl-C finds it: a test run started in the background by
        # a script ignores SIGINT, and an ignored signal stays ignored across exec.
        preexec_fn=_sigint_default,  # noqa: PLW1509 (one signal call, no lock taken)
    )
    try:
        for _ in range(600):
            if started() or proc.poll() is not None:
                break
            time.sleep(0.1)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, err


def test_ctrl_c_exits_130_and_leaves_no_file(
    seed: Path, tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    slow_go = tmp_path / "slow-go"
    marker = tmp_path / "building"
    # exec: the signal gostatic passes on reaches the sleeping process itself.
    slow_go.write_text(
        f'#!/bin/sh\ncase "$1" in build) touch {marker}; exec sleep 30;; esac\nexec go "$@"\n'
    )
    slow_go.chmod(0o755)
    env = {**gostatic_env, "GOSTATIC_GO": str(slow_go)}
    status, err = _interrupt_gostatic(seed, env, ["build", "-o", "app", "./fmt"], marker.exists)
    assert status == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert sorted(os.listdir(seed)) == ["cgo", "fmt", "go.mod", "log-syslog"]


def test_ctrl_c_while_go_compiles_leaves_no_work_directory(
    seed: Path, tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    # go puts $WORK (go-build*) under GOTMPDIR: here a directory of this test's own, so that
    # other go builds on the machine cannot disturb the comparison. A Ctrl-C kills `go build`
    # on the spot, leaving $WORK behind, unless gostatic cleans up after it.
    gotmp = tmp_path / "gotmp"
    gotmp.mkdir()
    env = {**gostatic_env, "GOTMPDIR": str(gotmp), "GOCACHE": str(tmp_path / "gocache")}
    status, err = _interrupt_gostatic(
        seed,
        env,
        ["build", "-a", "-o", "app", "./fmt"],  # a cold cache and -a: go compiles for a while
        lambda: any(gotmp.glob("**/go-build*")),
    )
    assert status == 130, err
    assert "Traceback" not in err
    left: list[Path] = []
    for _ in range(50):  # what go started may still be finishing
        left = list(gotmp.iterdir())
        if not left:
            break
        time.sleep(0.1)
    assert left == [], "go's work directory survived"
    assert not (seed / "app").exists()


def test_go_verbose_flags_still_show_gos_own_output(
    seed: Path, gostatic_env: dict[str, str]
) -> None:
    quiet = run_gostatic(["build", "-o", "app", "./fmt"], seed, gostatic_env)
    assert "WORK=" not in quiet.stderr
    (seed / "app").unlink()
    loud = run_gostatic(["build", "-x", "-o", "app2", "./fmt"], seed, gostatic_env)
    assert loud.returncode == 0, loud.stderr
    assert "WORK=" in loud.stderr  # go build -x prints its work directory and commands


def test_a_fixed_build_id_does_not_hide_a_relinked_dynamic_binary(
    seed: Path, gostatic_env: dict[str, str]
) -> None:
    # -buildid=X survives every relink, so the ID cannot tell the new binary from the
    # one proved static before: gostatic must read the ELF again.
    cmd = ["build", "--strategy", "plain", "-ldflags=-buildid=X", "-o", "app", "./fmt"]
    assert run_gostatic(cmd, seed, gostatic_env).returncode == 0
    (seed / "fmt" / "main.go").write_text(SEED_CGO)
    (seed / "app").unlink()
    run = run_gostatic(cmd, seed, gostatic_env)
    assert run.returncode == 3, run.stderr
    assert not (seed / "app").exists()


def test_dev_null_and_other_special_files_are_never_replaced(
    seed: Path, tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    run = run_gostatic(["build", "-o", os.devnull, "./fmt"], seed, gostatic_env)
    assert run.returncode == 0, run.stderr
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)  # go builds and writes nothing
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    run = run_gostatic(["build", "-o", str(fifo), "./fmt"], seed, gostatic_env)
    assert run.returncode == 1
    assert "not a regular file" in run.stderr and "Traceback" not in run.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
