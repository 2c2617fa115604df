"""The TOML files gostatic reads are untrusted: values nested thousands deep, files of
hundreds of megabytes, a FIFO in a file's place. The strategy cache sets such a file aside
and the build goes on; the project file is a usage error (exit 2, one line); nothing gives
a traceback, stalls, or holds the whole file in memory. Real gostatic processes, with the
files made in tmp_path."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from gostatic import tomlcompat
from gostatic.cache import CACHE_FILE, MAX_CACHE_BYTES, CorruptCache, parse_cache
from gostatic.project import MAX_PROJECT_BYTES, PROJECT_FILE
from tests.support import (
    SEED_FMT,
    assert_static_by_readelf,
    gostatic_command,
    requires_go,
    run_gostatic,
    write_module,
)

DEPTH = 5000  # well past Python's recursion limit, which tomllib's parser recurses into
DEEP_ARRAY = "x = " + "[" * DEPTH + "]" * DEPTH + "\n"
DEEP_TABLE = "x = " + "{a = " * DEPTH + "1" + "}" * DEPTH + "\n"


def _padded(limit: int) -> str:
    """Valid TOML (comments only) one byte over ``limit``: only the size is wrong with it."""
    line = "# " + "x" * 61 + "\n"
    text = line * (limit // len(line) + 1)
    return text[: limit + 1]


# --- the reader ----------------------------------------------------------------------


@pytest.mark.parametrize("text", [DEEP_ARRAY, DEEP_TABLE], ids=["array", "inline-table"])
def test_deep_nesting_is_invalid_toml_not_a_recursion_error(text: str) -> None:
    with pytest.raises(tomlcompat.TomlError, match="nested too deeply"):
        tomlcompat.loads(text)
    with pytest.raises(CorruptCache, match="nested too deeply"):
        parse_cache(("version = 2\n" + text).encode())


def test_nesting_a_parser_can_follow_is_still_read() -> None:
    """The guard does not refuse ordinary nesting."""
    assert tomlcompat.loads("x = [[[[1]]]]\n") == {"x": [[[[1]]]]}


def test_a_big_file_is_read_only_one_byte_past_the_limit(tmp_path: Path) -> None:
    big = tmp_path / "big"
    with big.open("wb") as out:
        out.truncate(1 << 30)  # sparse: a gigabyte that takes no disk
    data = tomlcompat.read_at_most(big, 1000)
    assert len(data) == 1001
    assert tomlcompat.too_big(data, 1000) is not None
    assert tomlcompat.too_big(data[:1000], 1000) is None
    with pytest.raises(CorruptCache, match="larger than 4 MiB"):
        parse_cache(tomlcompat.read_at_most(big, MAX_CACHE_BYTES))


def test_exactly_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / CACHE_FILE
    path.write_text("version = 2\n" + _padded(MAX_CACHE_BYTES)[: MAX_CACHE_BYTES - 12])
    assert path.stat().st_size == MAX_CACHE_BYTES
    assert parse_cache(tomlcompat.read_at_most(path, MAX_CACHE_BYTES)) == ({}, [])


# --- the strategy cache: set aside, the build goes on --------------------------------


def _cache_dir(env: dict[str, str]) -> Path:
    directory = Path(env["GOSTATIC_CACHE_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("version = 2\n" + DEEP_ARRAY, "nested too deeply"),
        ("version = 2\n" + _padded(MAX_CACHE_BYTES), "larger than 4 MiB"),
    ],
    ids=["deep", "big"],
)
def test_cache_show_warns_in_one_line_and_changes_nothing(
    tmp_path: Path, gostatic_env: dict[str, str], content: str, why: str
) -> None:
    path = _cache_dir(gostatic_env) / CACHE_FILE
    path.write_text(content)
    run = run_gostatic(["cache", "show"], tmp_path, gostatic_env)
    assert run.returncode == 0, run.stderr
    [warning] = run.stderr.splitlines()
    assert warning.startswith("gostatic: warning: strategy cache") and why in warning
    assert "next build sets it aside" in warning
    assert run.stdout.splitlines()[0] == f"no entries in {path}"
    assert os.listdir(path.parent) == [CACHE_FILE]


def test_a_huge_cache_is_never_read_whole(tmp_path: Path, gostatic_env: dict[str, str]) -> None:
    """A gigabyte of cache file under a 256 MiB address-space limit: reading it whole would
    fail with MemoryError (as before the bound); the bounded read needs a few MiB."""
    path = _cache_dir(gostatic_env) / CACHE_FILE
    with path.open("wb") as out:
        out.truncate(1 << 30)
    command, env = gostatic_command(gostatic_env)
    # The limit is set by a Python that then becomes gostatic (exec), not by preexec_fn,
    # which is unsafe in a test process that has threads (pytest-xdist's).
    limited = (
        "import os, resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (256 << 20, 256 << 20))\n"
        "os.execv(sys.argv[1], sys.argv[1:])\n"
    )
    run = subprocess.run(
        [command[0], "-c", limited, *command, "cache", "show", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "larger than 4 MiB" in run.stderr and "Traceback" not in run.stderr


def test_a_fifo_in_place_of_the_cache_neither_blocks_nor_tracebacks(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    path = _cache_dir(gostatic_env) / CACHE_FILE
    os.mkfifo(path)
    run = run_gostatic(["cache", "show"], tmp_path, gostatic_env, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stderr == f"gostatic: warning: cannot read the strategy cache {path}: " + (
        "not a regular file\n"
    )


@pytest.mark.slow
@requires_go
@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("version = 2\n" + DEEP_ARRAY, "nested too deeply"),
        ("version = 2\n" + _padded(MAX_CACHE_BYTES), "larger than 4 MiB"),
    ],
    ids=["deep", "big"],
)
def test_a_build_sets_the_file_aside_and_goes_on(
    tmp_path: Path, gostatic_env: dict[str, str], content: str, why: str
) -> None:
    mod = write_module(tmp_path / "m", {"main.go": SEED_FMT})
    cache_dir = _cache_dir(gostatic_env)
    (cache_dir / CACHE_FILE).write_text(content)
    run = run_gostatic(["build", "-o", "app", "."], mod, gostatic_env)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    [warning] = [ln for ln in run.stderr.splitlines() if "warning" in ln]
    assert why in warning and "set aside as strategies.toml.corrupt-" in warning
    [aside] = cache_dir.glob(f"{CACHE_FILE}.corrupt-*")
    assert aside.read_text() == content
    assert_static_by_readelf(mod / "app")
    # The build's own entry replaced the file set aside.
    assert b"example.com/m" in (cache_dir / CACHE_FILE).read_bytes()


# --- the project file: a usage error --------------------------------------------------


@requires_go
@pytest.mark.parametrize("command", ["build", "explain"])
@pytest.mark.parametrize(
    ("content", "why"),
    [
        (DEEP_ARRAY, "not valid TOML: values nested too deeply"),
        (DEEP_TABLE, "not valid TOML: values nested too deeply"),
        (_padded(MAX_PROJECT_BYTES), "larger than 1 MiB, the most gostatic reads"),
    ],
    ids=["deep-array", "deep-table", "big"],
)
def test_a_hostile_project_file_is_a_one_line_usage_error(
    tmp_path: Path, gostatic_env: dict[str, str], command: str, content: str, why: str
) -> None:
    mod = write_module(tmp_path / "m", {"main.go": SEED_FMT, PROJECT_FILE: content})
    args = ["build", "-o", "app", "."] if command == "build" else ["explain", "."]
    run = run_gostatic(args, mod, gostatic_env)
    assert (run.returncode, run.stderr) == (2, f"gostatic: {mod / PROJECT_FILE}: {why}\n")
    assert not (mod / "app").exists()
