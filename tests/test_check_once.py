"""A binary go has just linked is copied once, scanned once, and the scanned copy is what
is installed (docs/performance.md, "The bytes checked are the bytes installed").

gostatic runs in a child interpreter with a hook in place. The scans are counted, not
timed: the hook counts the calls of the hazard search (gostatic.elf.scan.signatures_found).
The installed bytes are held to the copy by a hook that rewrites the stage binary right
after gostatic copied it; readelf and a run in an empty root are the oracles for what was
installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import (
    REPO_ROOT,
    SEED_FMT,
    assert_static_by_readelf,
    requires_go,
    run_gostatic,
    run_in_empty_root,
    write_module,
)

pytestmark = [pytest.mark.slow, requires_go]

# The hazard search, counting its calls. The wrapper is put in place before anything
# imports the search by name (gostatic.incremental.recheck does).
_COUNTING = """
import gostatic.elf.scan as scan
_calls = []
_search = scan.signatures_found
def _counting(*args, **kwargs):
    _calls.append(1)
    return _search(*args, **kwargs)
scan.signatures_found = _counting
"""

# Every copy of a stage binary (the one reading of it), followed at once by another hand's
# rewrite of the stage file in place (zeros past its first 64 KiB: the Go build ID kept,
# the program gone). The bytes of each copy are saved as COPIES/0, COPIES/1 ...
_REWRITING = """
import os
import gostatic.incremental.snapshot as snapshot
_calls = []
_copy_beside = snapshot.copy_beside
def _copy_then_rewrite(stage_bin, dest, shown):
    copy = _copy_beside(stage_bin, dest, shown)
    with open(copy, "rb") as f:
        copied = f.read()
    with open(os.path.join(os.environ["COPIES"], str(len(_calls))), "wb") as f:
        f.write(copied)
    size = os.path.getsize(stage_bin)
    with open(stage_bin, "r+b") as f:
        f.seek(64 * 1024)
        f.write(bytes(size - 64 * 1024))
    _calls.append(stage_bin)
    return copy
snapshot.copy_beside = _copy_then_rewrite
"""

_MAIN = """
import json, sys
from gostatic.__main__ import main
status = main(sys.argv[1:])
print(json.dumps({"status": status, "calls": len(_calls),
                  "full_path": "gostatic.builder.full" in sys.modules}))
"""


def hooked_build(module: Path, env: dict[str, str], hook: str, *extra: str) -> dict[str, object]:
    """Build ./hello into bin/hello in a child interpreter with ``hook`` in place: its exit
    status, the calls the hook counted, and whether it took the full path."""
    run_env = {**env, "PYTHONPATH": str(REPO_ROOT)}
    args = ["build", *extra, "-o", "bin/hello", "./hello"]
    proc = subprocess.run(
        [sys.executable, "-c", hook + _MAIN, *args],
        cwd=module, env=run_env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    said = json.loads(proc.stdout.splitlines()[-1])
    assert isinstance(said, dict) and said["status"] == 0, (said, proc.stderr)
    return said


def first_build(module: Path, env: dict[str, str]) -> None:
    assert run_gostatic(["build", "-o", "bin/hello", "./hello"], module, env).returncode == 0


@pytest.fixture
def hello(tmp_path: Path) -> Path:
    return write_module(tmp_path / "m", {"hello/main.go": SEED_FMT})


def test_a_cold_build_scans_its_new_binary_once(hello: Path, gostatic_env: dict[str, str]) -> None:
    said = hooked_build(hello, gostatic_env, _COUNTING)
    assert said["full_path"] is True
    assert said["calls"] == 1
    assert_static_by_readelf(hello / "bin" / "hello")


def test_a_full_path_rebuild_over_an_output_scans_once(
    hello: Path, gostatic_env: dict[str, str]
) -> None:
    first_build(hello, gostatic_env)
    (hello / "hello" / "main.go").write_text(SEED_FMT.replace("Hello", "Again"))
    said = hooked_build(hello, gostatic_env, _COUNTING, "--no-cache")
    assert said["full_path"] is True
    assert said["calls"] == 1


def test_a_relink_on_the_fast_path_scans_once(hello: Path, gostatic_env: dict[str, str]) -> None:
    first_build(hello, gostatic_env)
    (hello / "hello" / "main.go").write_text(SEED_FMT.replace("Hello", "Again"))
    said = hooked_build(hello, gostatic_env, _COUNTING)
    assert said["full_path"] is False
    assert said["calls"] == 1


def test_an_output_replaced_behind_gostatic_is_scanned_once(
    hello: Path, gostatic_env: dict[str, str]
) -> None:
    first_build(hello, gostatic_env)
    os.unlink(hello / "bin" / "hello")
    said = hooked_build(hello, gostatic_env, _COUNTING)
    assert said["full_path"] is False
    assert said["calls"] == 1
    assert_static_by_readelf(hello / "bin" / "hello")


@pytest.mark.parametrize("change", ["none", "source changed", "output removed"])
def test_the_copy_is_installed_though_the_stage_is_rewritten_after(
    hello: Path, tmp_path: Path, gostatic_env: dict[str, str], change: str
) -> None:
    # A cold build (the full path), a relink on the fast path, an install again from the
    # stamp (the fast path): each copies the stage binary once and installs that copy.
    env = {**gostatic_env, "COPIES": str(tmp_path / "copies")}
    (tmp_path / "copies").mkdir()
    if change != "none":
        first_build(hello, env)
    if change == "source changed":
        (hello / "hello" / "main.go").write_text(SEED_FMT.replace("Hello", "Again"))
    elif change == "output removed":
        os.unlink(hello / "bin" / "hello")
    said = hooked_build(hello, env, _REWRITING)
    assert said["calls"] == 1 and said["full_path"] is (change == "none")

    binary = hello / "bin" / "hello"
    copied = (tmp_path / "copies" / "0").read_bytes()
    [stage_bin] = (Path(env["GOSTATIC_CACHE_DIR"]) / "stage").glob("*/plain/hello")
    rewritten = stage_bin.read_bytes()
    assert rewritten[64 * 1024 :] == bytes(len(copied) - 64 * 1024)  # the hook rewrote it
    assert binary.read_bytes() == copied
    assert_static_by_readelf(binary)
    proc = run_in_empty_root(binary, tmp_path / "root")
    greeting = "Again 42!" if change == "source changed" else "Hello 42!"
    assert proc.returncode == 0 and greeting in proc.stdout, proc
