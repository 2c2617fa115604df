"""What gostatic promises about the file at the output, under attack (issue 14): the report
of the last of two concurrent builds describes the bytes there (item 13); a writer killed
in the rename window leaves nothing for good (item 14); -o never overwrites what go would
not, and GOFLAGS' -o is go's (item 17); a full cache directory costs speed, never the
build (item 4).

Oracles: readelf, a run in an empty root, `go version -m` (go's reading of a binary's
build settings) and go's own behaviour on the same command line.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support import (
    GO,
    SEED_FMT,
    Run,
    assert_static_by_readelf,
    requires_go,
    run_gostatic,
    run_in_empty_root,
    write_module,
)

pytestmark = [pytest.mark.slow, requires_go]


@pytest.fixture
def hello(tmp_path: Path) -> Path:
    return write_module(tmp_path / "m", {"hello/main.go": SEED_FMT})


# --- item 13: concurrent builds of one output -------------------------------------------


def strategy_of(binary: Path) -> str:
    """plain or netgo, from the build settings go recorded in the binary."""
    assert GO is not None
    shown = subprocess.run(
        [GO, "version", "-m", str(binary)], capture_output=True, text=True, check=True
    ).stdout
    return "netgo" if "-tags=netgo,osusergo" in shown else "plain"


def build_pair(module: Path, env: dict[str, str], output: str) -> list[tuple[str, Run]]:
    """Two builds of ``output`` at once, one plain and one netgo: each strategy with its
    run, in the order they ended."""
    ended: list[tuple[str, Run]] = []
    lock = threading.Lock()

    def build(strategy: str) -> None:
        args = ["build", "--json", "--strategy", strategy, "-o", output, "./hello"]
        run = run_gostatic(args, module, env)
        with lock:
            ended.append((strategy, run))

    threads = [threading.Thread(target=build, args=(s,)) for s in ("plain", "netgo")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return ended


def test_the_last_of_two_concurrent_builds_reports_the_bytes_at_the_output(
    hello: Path, gostatic_env: dict[str, str]
) -> None:
    outputs, rounds = 4, 5  # 20 pairs, 4 at a time

    def rounds_on(output: str) -> list[str]:
        problems = []
        for _ in range(rounds):
            ended = build_pair(hello, gostatic_env, output)
            assert [run.returncode for _, run in ended] == [0, 0], ended
            reported = json.loads(ended[-1][1].stdout)["results"][0]["strategy"]
            installed = strategy_of(hello / output)
            if reported != installed:
                problems.append(f"{output}: last report {reported}, installed {installed}")
        return problems

    with ThreadPoolExecutor(max_workers=outputs) as pool:
        problems = [p for found in pool.map(rounds_on, [f"out{i}" for i in range(outputs)])
                    for p in found]  # fmt: skip
    assert problems == []


# --- item 14: a writer killed in the rename window ------------------------------------


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_a_temporary_file_of_a_killed_build_is_removed_by_the_next(
    hello: Path, gostatic_env: dict[str, str]
) -> None:
    # What kill -9 between the copy and the rename leaves: a temporary file named by its
    # writer, beside the output.
    bin_dir = hello / "bin"
    bin_dir.mkdir()
    stale = bin_dir / f".hello.{dead_pid()}.5eed5eed5eed.gostatic-tmp"
    stale.write_bytes(b"\x7fELF, half a binary")
    run = run_gostatic(["build", "-o", "bin/hello", "./hello"], hello, gostatic_env)
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in bin_dir.iterdir()) == ["hello"]
    assert_static_by_readelf(bin_dir / "hello")


# --- item 17: -o as go reads it ---------------------------------------------------------

REFUSED = 'build output "{}" already exists and is not an object file'


def go_build(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    assert GO is not None
    return subprocess.run(
        [GO, "build", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("target", ["main.go", "notes.txt"])
def test_an_output_that_is_not_an_object_file_is_refused_as_go_refuses_it(
    tmp_path: Path, gostatic_env: dict[str, str], target: str
) -> None:
    module = write_module(tmp_path / "m", {"main.go": SEED_FMT, "notes.txt": "keep me\n"})
    before = {p.name: p.read_bytes() for p in module.iterdir()}
    by_go = go_build(["-o", target, "."], module, gostatic_env)
    assert by_go.returncode == 1 and REFUSED.format(target) in by_go.stderr

    run = run_gostatic(["build", "-o", target, "."], module, gostatic_env)
    assert run.returncode == by_go.returncode, run.stderr
    assert REFUSED.format(target) in run.stderr and "Traceback" not in run.stderr
    assert {p.name: p.read_bytes() for p in module.iterdir()} == before


def test_an_output_turned_into_a_text_file_is_refused_on_the_fast_path_too(
    hello: Path, gostatic_env: dict[str, str]
) -> None:
    command = ["build", "-o", "app", "./hello"]
    assert run_gostatic(command, hello, gostatic_env).returncode == 0
    (hello / "app").write_text("notes, not a program\n")
    by_go = go_build(["-o", "app", "./hello"], hello, gostatic_env)
    assert by_go.returncode == 1 and REFUSED.format("app") in by_go.stderr
    run = run_gostatic(command, hello, gostatic_env)
    assert run.returncode == 1 and REFUSED.format("app") in run.stderr, run.stderr
    assert (hello / "app").read_text() == "notes, not a program\n"


@pytest.mark.parametrize("where", ["environment", "go env file"])
def test_goflags_o_is_the_output_as_go_takes_it(
    tmp_path: Path, gostatic_env: dict[str, str], where: str
) -> None:
    module = write_module(tmp_path / "m", {"main.go": SEED_FMT})
    env = dict(gostatic_env)
    if where == "environment":
        env["GOFLAGS"] = "-o=viagoflags"
    else:
        env.pop("GOFLAGS", None)
        (tmp_path / "goenv").write_text("GOFLAGS=-o=viagoflags\n")
        env["GOENV"] = str(tmp_path / "goenv")
    by_go = go_build([], module, env)
    assert by_go.returncode == 0, by_go.stderr
    written_by_go = sorted(p.name for p in module.iterdir())
    assert "viagoflags" in written_by_go
    (module / "viagoflags").unlink()

    for _ in range(2):  # the full path, then the fast path
        run = run_gostatic(["build"], module, env)
        assert run.returncode == 0, run.stderr
        assert sorted(p.name for p in module.iterdir()) == written_by_go
        assert_static_by_readelf(module / "viagoflags")


# --- item 4: a cache directory on a full file system -----------------------------------


def mounted_tmpfs(path: Path, size: str) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs the tests as root)")
    mount = shutil.which("mount")
    if mount is None:
        pytest.skip("mount is not on PATH (every Debian base system has it)")
    path.mkdir()
    done = subprocess.run(
        [mount, "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(directory: Path) -> None:
    """Write zeros into ``directory`` until its file system has no room left."""
    with open(directory / "filler", "wb") as f:
        try:
            while True:
                f.write(bytes(1 << 20))
                f.flush()
        except OSError:
            pass


@pytest.fixture
def small_cache(tmp_path: Path) -> Iterator[Path]:
    yield from mounted_tmpfs(tmp_path / "cache", "1m")


@pytest.fixture
def roomy_cache(tmp_path: Path) -> Iterator[Path]:
    yield from mounted_tmpfs(tmp_path / "cache", "96m")


def test_a_full_cache_directory_costs_speed_never_the_build(
    hello: Path, tmp_path: Path, gostatic_env: dict[str, str], small_cache: Path
) -> None:
    fill(small_cache)
    env = {**gostatic_env, "GOSTATIC_CACHE_DIR": str(small_cache / "gostatic")}
    for _ in range(2):
        run = run_gostatic(["build", "-o", "bin/hello", "./hello"], hello, env)
        assert run.returncode == 0, run.stderr
        assert str(small_cache) in run.stderr and "every build relinks" in run.stderr
        assert_static_by_readelf(hello / "bin" / "hello")
    assert "Hello 42!" in run_in_empty_root(hello / "bin" / "hello", tmp_path / "root").stdout


def test_a_cache_that_fills_up_after_a_build_costs_speed_never_the_build(
    hello: Path, tmp_path: Path, gostatic_env: dict[str, str], roomy_cache: Path
) -> None:
    env = {**gostatic_env, "GOSTATIC_CACHE_DIR": str(roomy_cache / "gostatic")}
    command = ["build", "-o", "bin/hello", "./hello"]
    first = run_gostatic(command, hello, env)
    assert first.returncode == 0 and "every build relinks" not in first.stderr, first.stderr
    fill(roomy_cache)
    assert run_gostatic(command, hello, env).returncode == 0  # up to date: nothing to write
    (hello / "hello" / "main.go").write_text(SEED_FMT.replace("Hello", "Hello again"))
    run = run_gostatic(command, hello, env)  # go cannot write the stage now
    assert run.returncode == 0, run.stderr
    binary = hello / "bin" / "hello"
    assert_static_by_readelf(binary)
    assert "Hello again 42!" in run_in_empty_root(binary, tmp_path / "root").stdout
