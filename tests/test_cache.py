"""The strategy cache and the project file: unit tests of keys, parsing and merging, then
real `gostatic` processes building real Go programs (a `go` wrapper counts the builds)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from gostatic.cache import (
    CACHE_FILE,
    CacheEntry,
    CacheKey,
    CorruptCache,
    StrategyCache,
    cache_key,
    merge,
    parse_cache,
    render_cache,
)
from gostatic.errors import UsageError
from gostatic.go.env import GoEnv
from gostatic.go.flags import parse_build_args
from gostatic.go.packages import ListedPackage
from gostatic.project import (
    PROJECT_FILE,
    Project,
    load_project,
    locate_project_file,
    parse_project,
    write_pins,
)
from tests.support import (
    GO,
    REPO_ROOT,
    SEED_FMT,
    SEED_SYSLOG,
    assert_static_by_readelf,
    go_builds,
    logged_go_calls,
    logging_go,
    requires_go,
    run_gostatic,
    write_module,
)

GOENV = GoEnv(
    goos="linux",
    goarch="amd64",
    version="go1.26.0",
    cc="gcc",
    cgo_enabled=True,
    goexe="",
    goflags="",
)
PKG = ListedPackage("example.com/m/cmd/app", "main", "/src/cmd/app", "example.com/m", None)


def key(package: str = "example.com/m/cmd/app", **changes: object) -> CacheKey:
    fields: dict[str, object] = {
        "package": package,
        "module": "example.com/m",
        "goos": "linux",
        "goarch": "amd64",
        "go": "go1.26.0",
        "cc": "gcc",
        "cgo": True,
        "tags": (),
        "buildmode": "default",
        "ldflags": (),
    }
    fields.update(changes)
    return CacheKey(**fields)  # type: ignore[arg-type]


def written(path: Path) -> tuple[int, int]:
    """Changes whenever the file is written or replaced (inode, mtime)."""
    st = path.stat()
    return (st.st_ino, st.st_mtime_ns)


def entry(strategy: str = "netgo", **changes: object) -> CacheEntry:
    return CacheEntry(key(**changes), strategy, "2025-01-02T03:04:05Z")


# --- keys ------------------------------------------------------------------------------------


def test_key_holds_what_decides_the_answer() -> None:
    args = parse_build_args(["-tags", "b,a,b", "-buildmode=pie", "-o", "x", "./cmd/app"])
    assert cache_key(PKG, GOENV, args) == key(tags=("a", "b"), buildmode="pie")


def test_key_takes_tags_and_buildmode_from_goflags_unless_the_command_line_has_them() -> None:
    goenv = GOENV._replace(goflags="-tags=x,y -buildmode=exe -trimpath")
    assert cache_key(PKG, goenv, parse_build_args(["."])) == key(tags=("x", "y"), buildmode="exe")
    own = parse_build_args(["-tags", "z", "."])
    assert cache_key(PKG, goenv, own) == key(tags=("z",), buildmode="exe")


def test_key_holds_the_users_ldflags_goflags_first() -> None:
    goenv = GOENV._replace(goflags="-ldflags=-s")
    args = parse_build_args(["-ldflags", "-linkmode=external", "."])
    assert cache_key(PKG, goenv, args) == key(ldflags=("-s", "-linkmode=external"))
    assert cache_key(PKG, GOENV, parse_build_args(["."])) == key()


def test_a_version_1_cache_is_read_as_empty() -> None:
    """Its keys lack -ldflags: an entry could steer builds it was never found for."""
    old = GOOD_ENTRY.replace("version = 2", "version = 1").replace("ldflags = []\n", "")
    assert parse_cache(old.encode()) == ({}, [])


def test_keys_differ_by_toolchain_and_cgo() -> None:
    args = parse_build_args(["."])
    base = cache_key(PKG, GOENV, args)
    for change in ({"version": "go1.27.0"}, {"cc": "clang"}, {"goarch": "arm64"}):
        other = cache_key(PKG, GOENV._replace(**change), args)
        assert other is not None and other != base
    no_cgo = cache_key(PKG, GOENV._replace(cgo_enabled=False), args)
    assert no_cgo == key(cgo=False)


def test_packages_named_by_files_get_no_key() -> None:
    files = ListedPackage("command-line-arguments", "main", "/src", None, None)
    assert cache_key(files, GOENV, parse_build_args(["main.go"])) is None


# --- the file format -------------------------------------------------------------------------


def test_render_then_parse_gives_the_same_entries() -> None:
    entries = [entry("plain"), entry("external-static", package="a/b", tags=("x",), cgo=False)]
    text = render_cache(entries)
    assert text.startswith("# gostatic's strategy cache")
    parsed, problems = parse_cache(text.encode())
    assert problems == []
    assert parsed == {e.key: e for e in entries}
    # A person can read it: one table per entry, package and strategy first.
    assert '[[entry]]\npackage = "a/b"\nstrategy = "external-static"' in text


def test_merge_replaces_and_removes() -> None:
    old = {e.key: e for e in (entry("plain"), entry("netgo", package="b"))}
    new = entry("cgo-off")
    merged = merge(old, {new.key: new, key(package="b"): None, key(package="c"): None})
    assert merged == {new.key: new}


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"version = 2\n[[entry]\n", "not valid TOML"),
        (b'version = 2\n\n[[entry]]\npackage = "example.com/m/cmd/ap', "not valid TOML"),
        (b"\xff\xfe garbage", "not UTF-8"),
        (b"version = 99\n", "not a version 2"),
        (b"entry = 3\nversion = 2\n", "not an array"),
    ],
)
def test_a_file_that_is_not_a_cache_is_corrupt(data: bytes, why: str) -> None:
    with pytest.raises(CorruptCache, match=why):
        parse_cache(data)


def test_a_file_truncated_between_lines_loses_only_its_last_entry() -> None:
    text = render_cache([entry("plain", package="a"), entry("netgo", package="b")])
    cut = text[: text.rindex('buildmode = "default"')]
    parsed, problems = parse_cache(cut.encode())
    assert [e.key.package for e in parsed.values()] == ["a"]
    assert problems == ["strategy cache entry 2: buildmode is missing or not a string; ignored"]


GOOD_ENTRY = """version = 2
[[entry]]
package = "example.com/m/cmd/app"
strategy = "plain"
module = "example.com/m"
goos = "linux"
goarch = "amd64"
go = "go1.26.0"
cc = "gcc"
cgo = true
tags = []
buildmode = "default"
ldflags = []
found = "2025-01-02T03:04:05Z"
"""


def with_line(field: str, line: str) -> bytes:
    """GOOD_ENTRY with the line of ``field`` replaced."""
    lines = [line if ln.startswith(f"{field} = ") else ln for ln in GOOD_ENTRY.splitlines()]
    return "\n".join(lines).encode()


def test_the_good_entry_is_good() -> None:
    parsed, problems = parse_cache(GOOD_ENTRY.encode())
    assert problems == [] and list(parsed.values()) == [entry("plain")]


@pytest.mark.parametrize(
    ("field", "line", "problem"),
    [
        ("strategy", 'strategy = "-ldflags=-evil"', "unknown strategy '-ldflags=-evil'"),
        ("strategy", "strategy = { flags = '-evil' }", "strategy is missing or not a string"),
        ("package", "[entry.package]", "package is missing or not a string"),
        ("cgo", 'cgo = "yes"', "cgo is missing or not true/false"),
        ("tags", 'tags = "netgo"', "tags is missing or not a list of strings"),
        ("tags", "tags = [1]", "tags is missing or not a list of strings"),
    ],
)
def test_a_tampered_entry_is_ignored_with_a_warning(field: str, line: str, problem: str) -> None:
    parsed, problems = parse_cache(with_line(field, line))
    assert parsed == {}
    assert problems == [f"strategy cache entry 1: {problem}; ignored"]


def test_many_bad_entries_make_few_lines() -> None:
    text = "version = 2\n" + "[[entry]]\npackage = 1\n" * 50
    _, problems = parse_cache(text.encode())
    assert len(problems) == 4 and problems[-1] == "strategy cache: 47 more entries ignored"


# --- the file on disk ------------------------------------------------------------------------


def test_recording_what_the_file_says_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / CACHE_FILE).write_text(render_cache([entry("netgo")]))
    before = written(tmp_path / CACHE_FILE)
    cache = StrategyCache(tmp_path)
    cache.load()
    cache.record(key(), "netgo")
    cache.save()
    assert written(tmp_path / CACHE_FILE) == before
    assert not (tmp_path / (CACHE_FILE + ".lock")).exists()  # the lock was not even taken


def test_a_write_merges_with_what_another_process_wrote_meanwhile(tmp_path: Path) -> None:
    first, second = StrategyCache(tmp_path), StrategyCache(tmp_path)
    first.load()
    second.load()
    first.record(key(package="a"), "plain")
    second.record(key(package="b"), "netgo")
    first.save()
    second.save()
    final = StrategyCache(tmp_path)
    final.load()
    assert {k.package: e.strategy for k, e in final.entries.items()} == {"a": "plain", "b": "netgo"}
    assert final.warnings == []


def test_a_corrupt_file_is_set_aside(tmp_path: Path) -> None:
    garbage = b'version = 2\n[[entry]]\npackage = "exam'
    (tmp_path / CACHE_FILE).write_bytes(garbage)
    cache = StrategyCache(tmp_path)
    cache.load()
    [aside] = tmp_path.glob(f"{CACHE_FILE}.corrupt-*")
    assert aside.read_bytes() == garbage
    assert not (tmp_path / CACHE_FILE).exists()
    [warning] = cache.warnings
    assert "not valid TOML" in warning and aside.name in warning


def test_show_does_not_set_a_corrupt_file_aside(tmp_path: Path) -> None:
    (tmp_path / CACHE_FILE).write_bytes(b"[[[")
    cache = StrategyCache(tmp_path)
    cache.load(set_aside=False)
    assert (tmp_path / CACHE_FILE).read_bytes() == b"[[["
    assert "the next build sets it aside" in cache.warnings[0]


def test_ctrl_c_while_writing_leaves_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / CACHE_FILE).write_text(render_cache([entry("netgo")]))
    before = (tmp_path / CACHE_FILE).read_bytes()
    cache = StrategyCache(tmp_path)
    cache.load()
    cache.record(key(package="other"), "plain")

    def interrupted(src: object, dst: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cache.save()
    monkeypatch.undo()
    assert (tmp_path / CACHE_FILE).read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [CACHE_FILE, CACHE_FILE + ".lock"]
    cache.save()  # the lock was released: the next writer gets in
    assert len(parse_cache((tmp_path / CACHE_FILE).read_bytes())[0]) == 2


def test_a_cache_dir_under_a_regular_file_gives_a_warning(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    cache = StrategyCache(tmp_path / "file" / "cache")
    cache.load()
    cache.record(key(), "plain")
    cache.save()
    [warning] = cache.warnings
    assert warning.startswith("cannot write the strategy cache")


@contextmanager
def immutable(directory: Path) -> Iterator[Path]:
    """``directory`` made immutable (chattr +i): no file can be added, removed or renamed
    in it, by root either. Skips the test where the file system does not support it."""
    chattr = shutil.which("chattr")
    if chattr is None:
        pytest.skip("chattr is not available")
    proc = subprocess.run([chattr, "+i", str(directory)], capture_output=True, check=False)
    if proc.returncode != 0:
        pytest.skip(f"chattr +i is not supported here: {proc.stderr.decode().strip()}")
    try:
        with pytest.raises(PermissionError):
            (directory / "probe").write_text("")  # the oracle: writes really fail
        yield directory
    finally:
        subprocess.run([chattr, "-i", str(directory)], check=True)


def test_an_immutable_cache_dir_is_still_read_and_gives_a_warning(tmp_path: Path) -> None:
    (tmp_path / CACHE_FILE).write_text(render_cache([entry("netgo")]))
    with immutable(tmp_path):
        cache = StrategyCache(tmp_path)
        cache.load()
        assert cache.lookup(key()) == "netgo"
        cache.record(key(package="new"), "plain")
        cache.save()
    [warning] = cache.warnings
    assert warning.startswith(f"cannot write the strategy cache {tmp_path / CACHE_FILE}:")
    assert os.listdir(tmp_path) == [CACHE_FILE]


# --- the project file ------------------------------------------------------------------------


def test_the_project_file_is_found_up_to_the_module_root_only(tmp_path: Path) -> None:
    (tmp_path / PROJECT_FILE).write_text('ladder = ["plain"]\n')  # above the module: not ours
    module = tmp_path / "mod"
    (module / "cmd" / "x").mkdir(parents=True)
    (module / "go.mod").write_text("module example.com/m\n")
    assert locate_project_file(module / "cmd" / "x") == (module / PROJECT_FILE, False)
    (module / PROJECT_FILE).write_text('ladder = ["netgo"]\n')
    assert load_project(module / "cmd" / "x").ladder == ("netgo",)
    (module / "cmd" / PROJECT_FILE).write_text("")
    assert locate_project_file(module / "cmd" / "x") == (module / "cmd" / PROJECT_FILE, True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('laddr = ["netgo"]', "unknown key 'laddr'; did you mean 'ladder'?"),
        ('[pins]\n"a" = "netgo"', "unknown key 'pins'; did you mean 'pin'?"),
        ('ladder = ["netgo", "cgo-of"]', "unknown strategy 'cgo-of'; did you mean 'cgo-off'?"),
        ('[pin]\n"a" = "-ldflags=-evil"', "pin 'a': unknown strategy '-ldflags=-evil'"),
        ('[pin]\n"a" = { strategy = "netgo" }', "pin 'a' must be a strategy name"),
        ('ladder = "netgo"', "ladder must be a non-empty list"),
        ('ladder = ["netgo", "netgo"]', "names a strategy twice"),
        ("ladder = [", "not valid TOML"),
    ],
)
def test_a_bad_project_file_is_a_usage_error_with_a_hint(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("?", r"\?").replace("{", r"\{")):
        parse_project(text, Path(PROJECT_FILE))


def test_pins_keep_the_users_comments_and_settings(tmp_path: Path) -> None:
    path = tmp_path / PROJECT_FILE
    path.write_text(
        '# our team\'s build settings\nladder = ["netgo", "cgo-off"]  # pure Go only\n\n'
        '[pin]\n# the server needs cgo\n"example.com/m/server" = "cgo-off"\n'
    )
    path.chmod(0o664)
    project = load_project(tmp_path)
    assert write_pins(project, {"example.com/m/tool": "netgo"}, tmp_path / "pins.lock")
    text = path.read_text()
    assert "# our team's build settings" in text and "# pure Go only" in text
    assert "# the server needs cgo" in text
    assert tomllib.loads(text) == {
        "ladder": ["netgo", "cgo-off"],
        "pin": {"example.com/m/server": "cgo-off", "example.com/m/tool": "netgo"},
    }
    assert stat.S_IMODE(path.stat().st_mode) == 0o664
    inode = path.stat().st_ino
    assert not write_pins(load_project(tmp_path), {"example.com/m/tool": "netgo"}, None)
    assert path.stat().st_ino == inode  # nothing new: not rewritten


def test_a_new_project_file_is_readable_by_the_team(tmp_path: Path) -> None:
    project = Project(tmp_path / PROJECT_FILE, exists=False)
    assert write_pins(project, {"example.com/m": "plain"}, None)
    assert stat.S_IMODE((tmp_path / PROJECT_FILE).stat().st_mode) == 0o644
    assert load_project(tmp_path).pins == (("example.com/m", "plain"),)


# --- real builds -----------------------------------------------------------------------------


def builds_logged(log: Path) -> list[str]:
    return go_builds(logged_go_calls(log))


def build_json(args: list[str], cwd: Path, env: dict[str, str]) -> dict[str, object]:
    run = run_gostatic(["build", "--json", *args], cwd, env)
    assert run.returncode == 0, run.stderr
    [result] = json.loads(run.stdout)["results"]
    assert isinstance(result, dict)
    result["stderr"] = run.stderr
    return result


@requires_go
def test_an_external_link_build_does_not_steer_plain_builds(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    """Issue 14 item 11: the cache key holds -ldflags."""
    mod = write_module(tmp_path / "m", {"main.go": SEED_FMT})
    external = build_json(["-ldflags=-linkmode=external", "-o", "ext", "."], mod, gostatic_env)
    assert external["strategy"] != "plain"  # go's external link of fmt is dynamic
    plain = build_json(["-o", "app", "."], mod, gostatic_env)
    assert attempts(plain)[0] == ("plain", "static")


def cached(cache_dir: Path) -> dict[str, str]:
    doc = tomllib.loads((cache_dir / CACHE_FILE).read_text())
    return {e["package"]: e["strategy"] for e in doc["entry"]}


def attempts(result: dict[str, object]) -> list[tuple[str, str]]:
    raw = result["attempts"]
    assert isinstance(raw, list)
    return [(a["strategy"], a["outcome"]) for a in raw]


@pytest.fixture
def fmt_module(tmp_path: Path) -> Path:
    return write_module(tmp_path / "mod", {"cmd/app/main.go": SEED_FMT})


@pytest.fixture
def syslog_module(tmp_path: Path) -> Path:
    return write_module(tmp_path / "mod", {"cmd/logger/main.go": SEED_SYSLOG})


@pytest.mark.slow
@requires_go
def test_a_cached_package_costs_exactly_one_go_build(
    fmt_module: Path, tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    # The user's -linkmode=external defeats the import-graph prediction (plain), so only
    # the cache can send a later build straight to the rung that works.
    wrapper, log = logging_go(tmp_path)
    env = {**gostatic_env, "GOSTATIC_GO": str(wrapper)}
    cache_dir = Path(env["GOSTATIC_CACHE_DIR"])
    user = ["-ldflags=-linkmode=external"]
    ladder = [
        ("plain", "dynamic"),
        ("netgo", "dynamic"),
        ("cgo-off", "build-failed"),
        ("external-static", "static"),
    ]

    first = build_json([*user, "-o", "bin/first", "./cmd/app"], fmt_module, env)
    assert attempts(first) == ladder
    assert len(builds_logged(log)) == 4
    assert cached(cache_dir) == {"example.com/m/cmd/app": "external-static"}

    # A new output has a new, empty stage: only the cache knows where to start.
    second = build_json([*user, "-o", "bin/second", "./cmd/app"], fmt_module, env)
    assert attempts(second) == [("external-static", "static")]
    [call] = builds_logged(log)
    assert "-tags=netgo,osusergo" in call
    assert_static_by_readelf(fmt_module / "bin" / "second")

    # --no-cache neither reads (the whole ladder again) nor writes.
    before = written(cache_dir / CACHE_FILE)
    third = build_json([*user, "--no-cache", "-o", "bin/third", "./cmd/app"], fmt_module, env)
    assert attempts(third) == ladder
    assert written(cache_dir / CACHE_FILE) == before

    # --strategy is the user's choice for this run, not a finding: the cache is unchanged.
    forced = ["--strategy", "netgo", "-o", "bin/forced", "./cmd/app"]
    assert attempts(build_json(forced, fmt_module, env)) == [("netgo", "static")]
    assert written(cache_dir / CACHE_FILE) == before


@pytest.mark.slow
@requires_go
def test_an_up_to_date_build_neither_locks_nor_rewrites_the_cache(
    syslog_module: Path, gostatic_env: dict[str, str]
) -> None:
    cache_dir = Path(gostatic_env["GOSTATIC_CACHE_DIR"])
    build_json(["-o", "app", "./cmd/logger"], syslog_module, gostatic_env)
    lock = cache_dir / (CACHE_FILE + ".lock")
    lock.unlink()
    before = written(cache_dir / CACHE_FILE)
    result = build_json(["-o", "app", "./cmd/logger"], syslog_module, gostatic_env)
    assert "up to date (netgo)" in str(result["stderr"])
    assert written(cache_dir / CACHE_FILE) == before
    assert not lock.exists()


@pytest.mark.slow
@requires_go
def test_a_cached_strategy_that_stops_working_climbs_and_updates_the_entry(
    fmt_module: Path, tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    mod = fmt_module
    cache_dir = tmp_path / "own-cache"
    env = {k: v for k, v in gostatic_env.items() if k != "GOSTATIC_CACHE_DIR"}
    flags = ["--cache-dir", str(cache_dir)]
    assert attempts(build_json([*flags, "-o", "a", "./cmd/app"], mod, env)) == [("plain", "static")]
    assert cached(cache_dir) == {"example.com/m/cmd/app": "plain"}

    (mod / "cmd" / "app" / "main.go").write_text(SEED_SYSLOG)  # now it imports log/syslog
    result = build_json([*flags, "-o", "b", "./cmd/app"], mod, env)
    assert attempts(result) == [("plain", "dynamic"), ("netgo", "static")]
    assert cached(cache_dir) == {"example.com/m/cmd/app": "netgo"}
    assert_static_by_readelf(mod / "b")


def real_go_env() -> dict[str, str]:
    out = subprocess.run(
        [GO or "go", "env", "-json", "GOOS", "GOARCH", "GOVERSION", "CC", "CGO_ENABLED"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    values = json.loads(out)
    assert isinstance(values, dict)
    return values


@pytest.mark.slow
@requires_go
@pytest.mark.parametrize(
    "strategy_line", ['strategy = "-ldflags=-evil"', 'strategy = { flags = "-ldflags=-evil" }']
)
def test_a_tampered_entry_never_reaches_go(
    fmt_module: Path, tmp_path: Path, gostatic_env: dict[str, str], strategy_line: str
) -> None:
    mod = fmt_module
    goenv = real_go_env()
    cache_dir = Path(gostatic_env["GOSTATIC_CACHE_DIR"])
    cache_dir.mkdir()
    (cache_dir / CACHE_FILE).write_text(
        "version = 2\n\n[[entry]]\n"
        'package = "example.com/m/cmd/app"\n'
        f"{strategy_line}\n"
        'module = "example.com/m"\n'
        f'goos = "{goenv["GOOS"]}"\ngoarch = "{goenv["GOARCH"]}"\n'
        f'go = "{goenv["GOVERSION"]}"\ncc = "{goenv["CC"]}"\n'
        f"cgo = {'true' if goenv['CGO_ENABLED'] == '1' else 'false'}\n"
        'tags = []\nbuildmode = "default"\nldflags = []\nfound = "2025-01-01T00:00:00Z"\n'
    )
    wrapper, log = logging_go(tmp_path)
    env = {**gostatic_env, "GOSTATIC_GO": str(wrapper)}
    result = build_json(["-o", "app", "./cmd/app"], mod, env)
    assert attempts(result) == [("plain", "static")]
    assert "evil" not in log.read_text()
    assert "gostatic: warning: strategy cache entry 1:" in str(result["stderr"])
    assert cached(cache_dir) == {"example.com/m/cmd/app": "plain"}  # replaced by the truth


@pytest.mark.slow
@requires_go
def test_a_truncated_cache_is_set_aside_and_the_build_goes_on(
    fmt_module: Path, tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    mod = fmt_module
    cache_dir = Path(gostatic_env["GOSTATIC_CACHE_DIR"])
    cache_dir.mkdir()
    truncated = render_cache([entry("plain", package="example.com/other")])[:-30].encode()
    (cache_dir / CACHE_FILE).write_bytes(truncated)
    result = build_json(["-o", "app", "./cmd/app"], mod, gostatic_env)
    assert result["strategy"] == "plain"
    [aside] = cache_dir.glob(f"{CACHE_FILE}.corrupt-*")
    assert aside.read_bytes() == truncated
    assert "set aside as strategies.toml.corrupt-" in str(result["stderr"])
    assert cached(cache_dir) == {"example.com/m/cmd/app": "plain"}
    assert_static_by_readelf(mod / "app")


@pytest.mark.slow
@requires_go
def test_an_unwritable_cache_dir_is_a_warning_not_a_failure(
    fmt_module: Path, tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    mod = fmt_module
    (tmp_path / "a-file").write_text("")
    env = {**gostatic_env, "GOSTATIC_CACHE_DIR": str(tmp_path / "a-file" / "cache")}
    run = run_gostatic(["build", "-o", "app", "./cmd/app"], mod, env)
    assert run.returncode == 0, run.stderr
    assert "gostatic: warning: cannot write the strategy cache" in run.stderr
    assert "Traceback" not in run.stderr
    assert_static_by_readelf(mod / "app")


@pytest.mark.slow
@requires_go
def test_twelve_concurrent_builds_each_keep_their_entry(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    names = [f"p{i:02d}" for i in range(12)]
    mod = write_module(
        tmp_path / "mod", {f"cmd/{n}/main.go": "package main\n\nfunc main() {}\n" for n in names}
    )
    cache_dir = tmp_path / "shared-cache"
    env = {**gostatic_env, "PYTHONPATH": str(REPO_ROOT)}
    gostatic = [sys.executable, "-m", "gostatic", "build", "--cache-dir", str(cache_dir)]
    procs = [
        subprocess.Popen(
            [*gostatic, "-o", f"bin/{n}", f"./cmd/{n}"],
            cwd=mod,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in names
    ]
    errors = [p.communicate(timeout=600)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 12, errors
    assert not any("warning" in e for e in errors), errors
    assert cached(cache_dir) == {f"example.com/m/cmd/{n}": "plain" for n in names}
    leftovers = [p.name for p in cache_dir.iterdir() if p.name.endswith(".gostatic-tmp")]
    assert leftovers == []


@pytest.mark.slow
@requires_go
def test_the_project_file_pins_and_restricts_and_build_pin_writes_it(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    mod = write_module(
        tmp_path / "mod", {"cmd/hello/main.go": SEED_FMT, "cmd/logger/main.go": SEED_SYSLOG}
    )
    (mod / PROJECT_FILE).write_text(
        "# committed by the team\n"
        'ladder = ["cgo-off", "netgo"]  # no cgo in production\n\n'
        '[pin]\n"example.com/m/cmd/hello" = "netgo"\n'
    )
    run = run_gostatic(["build", "--json", "--pin", "-o", "bin/", "./cmd/..."], mod, gostatic_env)
    assert run.returncode == 0, run.stderr
    results = {r["package"]: r for r in json.loads(run.stdout)["results"]}
    # The pin wins although plain would do; the ladder starts where the project says.
    assert attempts(results["example.com/m/cmd/hello"]) == [("netgo", "static")]
    assert attempts(results["example.com/m/cmd/logger"]) == [("cgo-off", "static")]
    for name in ("hello", "logger"):
        assert_static_by_readelf(mod / "bin" / name)
    text = (mod / PROJECT_FILE).read_text()
    assert "# committed by the team" in text and "# no cgo in production" in text
    assert tomllib.loads(text)["pin"] == {
        "example.com/m/cmd/hello": "netgo",
        "example.com/m/cmd/logger": "cgo-off",
    }
    assert f"pinned 2 package(s) in {mod / PROJECT_FILE}" in run.stderr
    # A pinned package is not cached: the pin decides, not the machine.
    cache_file = Path(gostatic_env["GOSTATIC_CACHE_DIR"]) / CACHE_FILE
    assert "example.com/m/cmd/hello" not in cache_file.read_text()
    # --strategy on the command line wins over the pin.
    forced = ["--strategy", "plain", "-o", "bin/", "./cmd/hello"]
    assert attempts(build_json(forced, mod, gostatic_env)) == [("plain", "static")]


@requires_go
def test_a_bad_project_file_stops_the_build_with_one_line(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    mod = write_module(tmp_path / "mod", {"main.go": SEED_FMT, PROJECT_FILE: 'ladr = ["netgo"]\n'})
    run = run_gostatic(["build", "-o", "app", "."], mod, gostatic_env)
    assert run.returncode == 2
    assert run.stderr.splitlines() == [
        f"gostatic: {mod / PROJECT_FILE}: unknown key 'ladr'; did you mean 'ladder'? "
        "(known keys: ladder, pin)"
    ]
    assert not (mod / "app").exists()


# --- the cache command -----------------------------------------------------------------------


def test_cache_show_path_and_clear(tmp_path: Path, gostatic_env: dict[str, str]) -> None:
    cache_dir = tmp_path / "c"
    cache_dir.mkdir()
    (cache_dir / CACHE_FILE).write_text(
        render_cache([entry("netgo", package="example.com/a"), entry("plain", package="x/b")])
    )
    (cache_dir / "stage" / "0123").mkdir(parents=True)
    flag = ["--cache-dir", str(cache_dir)]

    run = run_gostatic(["cache", "path", *flag], tmp_path, gostatic_env)
    assert (run.returncode, run.stdout) == (0, f"{cache_dir / CACHE_FILE}\n")
    env_only = run_gostatic(["cache", "path"], tmp_path, gostatic_env)
    assert env_only.stdout == f"{Path(gostatic_env['GOSTATIC_CACHE_DIR']) / CACHE_FILE}\n"

    run = run_gostatic(["cache", "show", "--json", *flag], tmp_path, gostatic_env)
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["version"] == 1 and doc["path"] == str(cache_dir / CACHE_FILE)
    assert [(e["package"], e["strategy"]) for e in doc["entries"]] == [
        ("example.com/a", "netgo"),
        ("x/b", "plain"),
    ]
    assert doc["entries"][0]["found"] == "2025-01-02T03:04:05Z"

    run = run_gostatic(["cache", "show", *flag], tmp_path, gostatic_env)
    lines = run.stdout.splitlines()
    assert lines[0].split() == [
        "PACKAGE", "STRATEGY", "TARGET", "GO", "CC", "CGO", "TAGS", "BUILDMODE", "FOUND"
    ]  # fmt: skip
    assert lines[1].split()[:3] == ["example.com/a", "netgo", "linux/amd64"]

    run = run_gostatic(["cache", "clear", "example.com/b", *flag], tmp_path, gostatic_env)
    assert (run.returncode, run.stdout) == (1, "")  # nothing removed: as rm, not success
    assert run.stderr == (
        f"gostatic: nothing to clear for example.com/b in {cache_dir / CACHE_FILE}; "
        "did you mean 'example.com/a'?\n"
    )
    run = run_gostatic(["cache", "clear", "example.com/a", *flag], tmp_path, gostatic_env)
    assert (run.returncode, run.stdout) == (0, "removed 1 entry for example.com/a\n")
    assert cached(cache_dir) == {"x/b": "plain"}

    run = run_gostatic(["cache", "clear", *flag], tmp_path, gostatic_env)
    assert (run.returncode, run.stdout) == (0, f"removed 2 items from {cache_dir}\n")
    assert not (cache_dir / CACHE_FILE).exists() and not (cache_dir / "stage").exists()
    run = run_gostatic(["cache", "clear", *flag], tmp_path, gostatic_env)
    assert (run.returncode, run.stdout) == (0, f"nothing to remove in {cache_dir}\n")
    run = run_gostatic(["cache", "show", *flag], tmp_path, gostatic_env)
    assert run.stdout.splitlines()[0] == f"no entries in {cache_dir / CACHE_FILE}"


def test_cache_show_of_a_corrupt_file_warns_and_changes_nothing(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    cache_dir = Path(gostatic_env["GOSTATIC_CACHE_DIR"])
    cache_dir.mkdir()
    (cache_dir / CACHE_FILE).write_text("version = [")
    run = run_gostatic(["cache", "show"], tmp_path, gostatic_env)
    assert run.returncode == 0
    assert "gostatic: warning: strategy cache" in run.stderr and "Traceback" not in run.stderr
    assert os.listdir(cache_dir) == [CACHE_FILE]


def test_cache_clear_where_nothing_can_be_written_is_one_line(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    cache_dir = tmp_path / "locked"
    cache_dir.mkdir()
    (cache_dir / CACHE_FILE).write_text(render_cache([entry("plain")]))
    with immutable(cache_dir):
        run = run_gostatic(["cache", "clear", f"--cache-dir={cache_dir}"], tmp_path, gostatic_env)
    assert run.returncode == 1
    [line] = run.stderr.splitlines()
    assert line.startswith(f"gostatic: cannot clear the cache in {cache_dir}:")


def _plans_naming(cache_dir: Path, package: str) -> list[str]:
    """The plan files that hold ``package`` as a field (gostatic.incremental.codec: NUL-ended
    fields), whatever their shape."""
    field = package.encode() + b"\0"
    return sorted(p.name for p in (cache_dir / "plans").iterdir() if field in p.read_bytes())


@pytest.mark.slow
@requires_go
def test_cache_clear_forgets_the_fast_path_plans(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    mod = write_module(tmp_path / "m", {"a/main.go": SEED_FMT, "b/main.go": SEED_FMT})
    cache_dir = Path(gostatic_env["GOSTATIC_CACHE_DIR"])
    for args in (["-o", "a", "./a"], ["-o", "b", "./b"], ["-o", "bin/", "./..."]):
        run = run_gostatic(["build", *args], mod, gostatic_env)
        assert run.returncode == 0, run.stderr
    a, b = "example.com/m/a", "example.com/m/b"
    assert len(_plans_naming(cache_dir, a)) == len(_plans_naming(cache_dir, b)) == 2
    # Plans are untrusted files: one that is not a plan stops nothing.
    (cache_dir / "plans" / "junk").write_bytes(b"\xff\0not a plan")
    (cache_dir / "plans" / "short").write_bytes(b"gostatic-plan-1\0x\0")
    (cache_dir / "plans" / "plan-2").write_bytes(b"gostatic-plan-2\0material\0x\0")
    (cache_dir / "plans" / "group").write_bytes(b"gostatic-group-1\0" + b"9\0" * 12)

    run = run_gostatic(["cache", "clear", a], tmp_path, gostatic_env)
    assert run.returncode == 0, run.stderr
    assert _plans_naming(cache_dir, a) == []  # its own plan and the ./... one
    assert len(_plans_naming(cache_dir, b)) == 1
    assert {"junk", "short", "group", "plan-2"} <= {p.name for p in (cache_dir / "plans").iterdir()}

    run = run_gostatic(["cache", "clear"], tmp_path, gostatic_env)
    assert run.returncode == 0, run.stderr
    assert not (cache_dir / "plans").exists()
