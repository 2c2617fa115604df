"""The stage's size cap (gostatic.incremental.stagecap), `cache clear PACKAGE` removing that
package's stage copies (gostatic.incremental.stageindex), and `cache show` reporting the
cache's size."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from gostatic.incremental.stagecap import (
    DEFAULT_CACHE_MAX,
    cache_limit,
    format_size,
    parse_size,
    stage_uses,
    trim_stage,
)
from gostatic.incremental.stageindex import forget_package, read_members, record_members
from tests.support import SEED_FMT, requires_go, run_gostatic, write_module

# --- pure parts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1073741824", 1 << 30),
        ("2G", 2 << 30),
        ("2g", 2 << 30),
        ("2GiB", 2 << 30),
        ("2GB", 2 << 30),
        ("500M", 500 << 20),
        ("64k", 64 << 10),
        ("1.5G", 3 << 29),
        ("0", 0),
        (" 3T ", 3 << 40),
    ],
)
def test_a_size_is_read_with_its_unit(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "G", "lots", "-1G", "2X", "nan", "inf", "1G2"])
def test_what_is_not_a_size_is_refused(text: str) -> None:
    assert parse_size(text) is None


def test_the_cap_defaults_to_one_gib_and_a_bad_value_is_a_warning() -> None:
    assert cache_limit({}) == (DEFAULT_CACHE_MAX, None)
    assert cache_limit({"GOSTATIC_CACHE_MAX": "2G"}) == (2 << 30, None)
    limit, warning = cache_limit({"GOSTATIC_CACHE_MAX": "huge"})
    assert limit == DEFAULT_CACHE_MAX
    assert warning is not None and "GOSTATIC_CACHE_MAX='huge' is not a size" in warning


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 B"), (812, "812 B"), (1536, "1.5 KiB"), (44_000_000, "42.0 MiB"), (1 << 30, "1.0 GiB")],
)
def test_sizes_are_told_in_binary_units(size: int, text: str) -> None:
    assert format_size(size) == text


def make_stage(root: Path, name: str, size: int, used: float) -> None:
    """A stage directory as gostatic leaves it: a strategy directory with a binary, stamps."""
    stage = root / name
    (stage / "plain").mkdir(parents=True)
    (stage / "stamps").mkdir()
    (stage / "plain" / "app").write_bytes(b"x" * size)
    (stage / "stamps" / "app").write_bytes(b"stamp")
    for path in (*stage.rglob("*"), stage):
        os.utime(path, (used, used))


def test_the_least_recently_used_stages_go_first_until_the_stage_fits(tmp_path: Path) -> None:
    now = time.time()
    for name, seconds_ago in (("old", 10), ("older", 20), ("oldest", 30), ("new", 0)):
        make_stage(tmp_path, name, 1000, now - seconds_ago)
    assert {u.name: u.size for u in stage_uses(str(tmp_path))} == {
        n: 1005 for n in ("old", "older", "oldest", "new")
    }
    assert trim_stage(str(tmp_path), 2500, in_use={"new"}) == ["oldest", "older"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new", "old"]
    assert trim_stage(str(tmp_path), 2500, in_use=set()) == []  # it fits


def test_a_stage_in_use_is_never_removed_even_over_the_cap(tmp_path: Path) -> None:
    now = time.time()
    make_stage(tmp_path, "busy", 5000, now - 100)
    make_stage(tmp_path, "idle", 10, now)
    assert trim_stage(str(tmp_path), 0, in_use={"busy"}) == ["idle"]
    assert [p.name for p in tmp_path.iterdir()] == ["busy"]


def test_links_in_the_stage_are_neither_followed_nor_counted(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "big").write_bytes(b"x" * 100_000)
    stage = tmp_path / "stage"
    make_stage(stage, "s", 10, time.time())
    (stage / "s" / "plain" / "link").symlink_to(outside / "big")
    (stage / "linked").symlink_to(outside, target_is_directory=True)
    [use] = stage_uses(str(stage))
    assert use.name == "s" and use.size < 1000
    assert trim_stage(str(stage), 0, in_use=set()) == ["s"]
    assert (outside / "big").stat().st_size == 100_000


def test_a_package_is_forgotten_from_the_stages_that_record_it(tmp_path: Path) -> None:
    now = time.time()
    make_stage(tmp_path, "group", 10, now)
    (tmp_path / "group" / "plain" / "other").write_bytes(b"y")
    (tmp_path / "group" / "stamps" / "other").write_bytes(b"s")
    record_members(str(tmp_path / "group"), {"app": "example.com/app", "other": "example.com/o"})
    make_stage(tmp_path, "single", 10, now)
    record_members(str(tmp_path / "single"), {"app": "example.com/app"})
    make_stage(tmp_path, "unrecorded", 10, now)

    assert forget_package(str(tmp_path), "example.com/app") == 2
    assert not (tmp_path / "single").exists()
    group = tmp_path / "group"
    assert sorted(p.name for p in (group / "plain").iterdir()) == ["other"]
    assert sorted(p.name for p in (group / "stamps").iterdir()) == ["other"]
    assert read_members(str(group)) == {"other": "example.com/o"}
    assert (tmp_path / "unrecorded" / "plain" / "app").exists()
    assert forget_package(str(tmp_path), "example.com/app") == 0


@pytest.mark.parametrize(
    "content",
    [
        b"gostatic-stage-members-1\0member_name\0../../escape\0member_package\0p\0",
        b"gostatic-stage-members-1\0member_name\0app\0",  # a name without its package
        b"\xff\xfenot a record",
    ],
)
def test_a_members_file_of_the_wrong_shape_names_nothing(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "members").write_bytes(content)
    assert read_members(str(tmp_path)) == {}


# --- real builds -------------------------------------------------------------------------


def stage_dirs(env: dict[str, str]) -> set[str]:
    stage = Path(env["GOSTATIC_CACHE_DIR"]) / "stage"
    return {p.name for p in stage.iterdir()} if stage.exists() else set()


def build(module: Path, env: dict[str, str], *args: str) -> None:
    run = run_gostatic(["build", *args], module, env)
    assert run.returncode == 0, run.stderr


def age(env: dict[str, str], stages: set[str], seconds: float) -> None:
    """Make every file of ``stages`` look last used ``seconds`` ago."""
    when = time.time() - seconds
    for name in stages:
        for path in (Path(env["GOSTATIC_CACHE_DIR"]) / "stage" / name).rglob("*"):
            os.utime(path, (when, when))


@pytest.fixture
def module(tmp_path: Path) -> Path:
    return write_module(
        tmp_path / "m", {f"cmd/{n}/main.go": SEED_FMT.replace("Hello", n) for n in "abc"}
    )


@pytest.mark.slow
@requires_go
def test_a_new_build_evicts_the_stage_least_recently_used_by_go(
    module: Path, gostatic_env: dict[str, str]
) -> None:
    env = dict(gostatic_env)
    build(module, env, "-o", "a", "./cmd/a")
    a = stage_dirs(env)
    build(module, env, "-o", "b", "./cmd/b")
    b = stage_dirs(env) - a
    age(env, a, 200)
    age(env, b, 100)
    # The cap holds two stages, not three.
    env["GOSTATIC_CACHE_MAX"] = str(
        sum(u.size for u in stage_uses(str(Path(env["GOSTATIC_CACHE_DIR"]) / "stage"))) + 100_000
    )
    build(module, env, "-o", "a", "./cmd/a")  # up to date: go touches a's stage binary
    assert stage_dirs(env) == a | b  # the up-to-date path removes nothing
    build(module, env, "-o", "c", "./cmd/c")
    c = stage_dirs(env) - a - b
    assert stage_dirs(env) == a | c  # b was used least recently
    env["GOSTATIC_CACHE_MAX"] = "0"
    build(module, env, "-o", "b", "./cmd/b")
    assert len(stage_dirs(env)) == 1  # this build's own stage stays, over the cap
    assert (module / "b").exists()


@pytest.mark.slow
@requires_go
def test_a_bad_cap_is_a_warning_not_a_failure(module: Path, gostatic_env: dict[str, str]) -> None:
    env = {**gostatic_env, "GOSTATIC_CACHE_MAX": "a lot"}
    run = run_gostatic(["build", "-o", "a", "./cmd/a"], module, env)
    assert run.returncode == 0
    assert "gostatic: warning: GOSTATIC_CACHE_MAX='a lot' is not a size" in run.stderr


@pytest.mark.slow
@requires_go
def test_cache_clear_package_removes_its_stage_copies_and_show_tells_the_size(
    module: Path, gostatic_env: dict[str, str]
) -> None:
    env = gostatic_env
    build(module, env, "-o", "bin/", "./...")
    build(module, env, "-o", "a", "./cmd/a")
    cache_dir = Path(env["GOSTATIC_CACHE_DIR"])
    show = run_gostatic(["cache", "show", "--json"], module, env)
    size = json.loads(show.stdout)["size"]
    assert size["stage_directories"] == 2 and size["stage_limit_bytes"] == DEFAULT_CACHE_MAX
    assert size["bytes"] > size["stage_bytes"] > 3 * 1_000_000  # three copies, at least
    assert {"version", "path", "entries"} <= set(json.loads(show.stdout))

    run = run_gostatic(["cache", "clear", "example.com/m/cmd/a"], module, env)
    assert run.returncode == 0, run.stderr
    assert run.stdout == (
        "removed 1 entry, 2 plans and its binaries from 2 stage directories "
        "for example.com/m/cmd/a\n"
    )
    binaries = {p.name for p in (cache_dir / "stage").rglob("*") if p.parent.name == "plain"}
    assert binaries == {"b", "c"}
    after = json.loads(run_gostatic(["cache", "show", "--json"], module, env).stdout)["size"]
    assert after["stage_directories"] == 1 and after["stage_bytes"] < size["stage_bytes"]
    text = run_gostatic(["cache", "show"], module, env).stdout.splitlines()[-1]
    assert text.startswith("size: ") and f"in {cache_dir} (stage: " in text
    assert "in 1 directory, limit 1.0 GiB)" in text
