"""The fast path of a command line that names several packages (gostatic.incremental.fast):
one go list and one go build per strategy when the packages are the planned ones, the full
path otherwise.

go calls are counted with a wrapper (GOSTATIC_GO) that logs each call, never timed.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from gostatic.incremental import codec
from gostatic.incremental.fast import UP_TO_DATE_DETAIL
from gostatic.incremental.plan import (
    PLAN_KIND,
    Listed,
    Member,
    Plan,
    PlanKey,
    planned_packages,
    read_plan,
    write_plan,
)
from tests.support import (
    SEED_CGO,
    SEED_FMT,
    SEED_SYSLOG,
    assert_static_by_readelf,
    go_builds,
    go_subcommands,
    logged_go_calls,
    requires_go,
    run_gostatic,
    run_in_empty_root,
    write_module,
)

slow = [pytest.mark.slow, requires_go]
LIBRARY = "package lib\n\nfunc Answer() int { return 42 }\n"


def greeting(word: str) -> str:
    return SEED_FMT.replace("Hello", word)


@pytest.fixture
def module(tmp_path: Path) -> Path:
    return write_module(
        tmp_path / "m",
        {
            "cmd/a/main.go": greeting("Alpha"),
            "cmd/b/main.go": greeting("Beta"),
            "cmd/c/main.go": greeting("Gamma"),
            "lib/lib.go": LIBRARY,
        },
    )


def build_all(module: Path, env: dict[str, str], *patterns: str) -> dict[str, dict[str, object]]:
    """`gostatic build --json -o bin/ PATTERNS` (default ./...): each result by package."""
    args = ["build", "--json", "-o", "bin/", *(patterns or ("./...",))]
    run = run_gostatic(args, module, env)
    assert run.returncode == 0, run.stderr
    return {r["package"]: r for r in json.loads(run.stdout)["results"]}


def up_to_date(result: dict[str, object]) -> bool:
    attempts = result["attempts"]
    assert isinstance(attempts, list)
    return bool(result["static"]) and attempts[-1]["detail"] == UP_TO_DATE_DETAIL


def calls_of(log: Path) -> list[str]:
    return sorted(go_subcommands(logged_go_calls(log)))


def identities(directory: Path) -> dict[str, int]:
    """Each file's inode: an install renames a new file over the old one, a touch (go
    build touches an up-to-date output, and so does gostatic) keeps it."""
    return {p.name: p.stat().st_ino for p in directory.iterdir()}


@pytest.mark.parametrize("patterns", [(), ("./cmd/a", "./cmd/b", "./cmd/c", "./lib")])
@pytest.mark.slow
@requires_go
def test_an_up_to_date_pattern_costs_one_list_and_one_build(
    module: Path, counted: tuple[dict[str, str], Path], patterns: tuple[str, ...]
) -> None:
    env, log = counted
    build_all(module, env, *patterns)
    assert "env" in calls_of(log)  # the first build takes the full path
    before = identities(module / "bin")

    results = build_all(module, env, *patterns)
    assert calls_of(log) == ["build", "list"]
    assert sorted(results) == [f"example.com/m/cmd/{n}" for n in "abc"]
    assert all(up_to_date(r) for r in results.values())
    assert identities(module / "bin") == before


@pytest.mark.slow
@requires_go
def test_without_an_output_the_libraries_get_a_check_build_of_their_own(
    module: Path, counted: tuple[dict[str, str], Path]
) -> None:
    # No -o: go build compiles every package it names; with -o DIR/ only the main ones.
    env, log = counted
    assert run_gostatic(["build", "./..."], module, env).returncode == 0
    logged_go_calls(log)
    run = run_gostatic(["build", "./..."], module, env)
    assert run.returncode == 0, run.stderr
    calls = logged_go_calls(log)
    assert sorted(go_subcommands(calls)) == ["build", "build", "list"]
    assert any(c.endswith(" -- example.com/m/lib") for c in go_builds(calls))


@pytest.mark.slow
@requires_go
def test_a_changed_command_is_relinked_and_installed_alone(
    module: Path, tmp_path: Path, counted: tuple[dict[str, str], Path]
) -> None:
    env, log = counted
    build_all(module, env)
    logged_go_calls(log)
    before = identities(module / "bin")
    (module / "cmd" / "b" / "main.go").write_text(greeting("Beta again"))

    results = build_all(module, env)
    assert calls_of(log) == ["build", "list"]
    assert not up_to_date(results["example.com/m/cmd/b"])
    after = identities(module / "bin")
    assert after["a"] == before["a"] and after["c"] == before["c"]
    assert after["b"] != before["b"]
    binary = module / "bin" / "b"
    assert_static_by_readelf(binary)
    assert "Beta again 42!" in run_in_empty_root(binary, tmp_path / "root").stdout


def add_command(module: Path) -> None:
    (module / "cmd" / "d").mkdir()
    (module / "cmd" / "d" / "main.go").write_text(greeting("Delta"))


def remove_command(module: Path) -> None:
    shutil.rmtree(module / "cmd" / "c")


def turn_command_into_library(module: Path) -> None:
    (module / "cmd" / "c" / "main.go").write_text("package c\n\nfunc C() {}\n")


@pytest.mark.parametrize(
    ("edit", "commands"),
    [(add_command, "abcd"), (remove_command, "ab"), (turn_command_into_library, "ab")],
)
@pytest.mark.slow
@requires_go
def test_other_packages_mean_the_full_path_then_a_new_plan(
    module: Path,
    counted: tuple[dict[str, str], Path],
    edit: Callable[[Path], None],
    commands: str,
) -> None:
    env, log = counted
    build_all(module, env)
    logged_go_calls(log)
    edit(module)
    results = build_all(module, env)
    assert "env" in calls_of(log)
    assert sorted(results) == [f"example.com/m/cmd/{n}" for n in commands]
    for name in commands:
        assert_static_by_readelf(module / "bin" / name)
    build_all(module, env)
    assert calls_of(log) == ["build", "list"]


@pytest.mark.slow
@requires_go
def test_each_strategy_builds_its_own_packages(
    tmp_path: Path, counted: tuple[dict[str, str], Path]
) -> None:
    env, log = counted
    module = write_module(
        tmp_path / "mixed", {"cmd/hello/main.go": SEED_FMT, "cmd/logger/main.go": SEED_SYSLOG}
    )
    first = build_all(module, env)
    assert first["example.com/m/cmd/hello"]["strategy"] == "plain"
    assert first["example.com/m/cmd/logger"]["strategy"] == "netgo"
    logged_go_calls(log)

    (module / "cmd" / "logger" / "main.go").write_text(SEED_SYSLOG.replace("Hello", "Hi"))
    results = build_all(module, env)
    calls = logged_go_calls(log)
    builds = go_builds(calls)
    assert sorted(go_subcommands(calls)) == ["build", "build", "list"]
    [netgo] = [b for b in builds if "netgo" in b]
    assert netgo.endswith("-- example.com/m/cmd/logger")
    assert not up_to_date(results["example.com/m/cmd/logger"])
    assert up_to_date(results["example.com/m/cmd/hello"])
    for name in ("hello", "logger"):
        assert_static_by_readelf(module / "bin" / name)


@pytest.mark.slow
@requires_go
def test_a_command_that_turns_dynamic_climbs_the_ladder_again(
    module: Path, gostatic_env: dict[str, str]
) -> None:
    build_all(module, gostatic_env)
    (module / "cmd" / "a" / "main.go").write_text(SEED_CGO)
    results = build_all(module, gostatic_env)
    assert results["example.com/m/cmd/a"]["strategy"] == "external-static"
    assert_static_by_readelf(module / "bin" / "a")


@pytest.mark.slow
@requires_go
def test_a_library_that_stops_compiling_fails_the_build(
    module: Path, gostatic_env: dict[str, str]
) -> None:
    # Without -o, go build compiles every package it names: so does the fast path.
    for _ in range(2):
        assert run_gostatic(["build", "./..."], module, gostatic_env).returncode == 0
    (module / "lib" / "lib.go").write_text(LIBRARY.replace("return 42", "return nosuch"))
    run = run_gostatic(["build", "./..."], module, gostatic_env)
    assert run.returncode == 1
    assert "undefined: nosuch" in run.stderr


@pytest.mark.slow
@requires_go
def test_a_broken_import_fails_the_build_with_gos_message(
    module: Path, gostatic_env: dict[str, str]
) -> None:
    # The fast path's go list finds packages without resolving their imports: the build
    # is what fails, and the full path says why.
    build_all(module, gostatic_env)
    source = 'package main\n\nimport _ "example.com/m/nosuch"\n\nfunc main() {}\n'
    (module / "cmd" / "b" / "main.go").write_text(source)
    run = run_gostatic(["build", "-o", "bin/", "./..."], module, gostatic_env)
    assert run.returncode == 1
    assert "example.com/m/nosuch" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.slow
@requires_go
def test_binaries_of_the_same_name_each_get_a_stage(
    tmp_path: Path, counted: tuple[dict[str, str], Path]
) -> None:
    # No -o: go builds both and writes neither; gostatic still proves each static.
    env, log = counted
    module = write_module(
        tmp_path / "twins",
        {"one/tool/main.go": greeting("One"), "two/tool/main.go": greeting("Two")},
    )
    for _ in range(2):
        run = run_gostatic(["build", "--json", "./..."], module, env)
        assert run.returncode == 0, run.stderr
        results = json.loads(run.stdout)["results"]
        assert [r["static"] for r in results] == [True, True]
        assert "env" in calls_of(log)  # no group plan: one stage directory cannot hold both


@pytest.mark.slow
@requires_go
def test_outside_module_mode_a_pattern_takes_the_full_path(
    tmp_path: Path, counted: tuple[dict[str, str], Path]
) -> None:
    # GOPATH mode names a binary example.com/p/cmd/v2 "v2": the fast path, which lets go
    # name its binaries, is not taken there.
    env, log = counted
    env = {**env, "GO111MODULE": "off", "GOPATH": str(tmp_path / "gopath")}
    project = tmp_path / "gopath" / "src" / "example.com" / "p"
    for name in ("a", "b"):
        (project / "cmd" / name).mkdir(parents=True)
        (project / "cmd" / name / "main.go").write_text(greeting(name))
    for _ in range(2):
        results = build_all(project, env)
        assert sorted(results) == ["example.com/p/cmd/a", "example.com/p/cmd/b"]
        assert "env" in calls_of(log)
    assert_static_by_readelf(project / "bin" / "a")


@pytest.mark.slow
@requires_go
def test_a_tampered_group_plan_cannot_inject_flags_or_packages(
    module: Path, counted: tuple[dict[str, str], Path]
) -> None:
    env, log = counted
    build_all(module, env)
    [plan_file] = (Path(env["GOSTATIC_CACHE_DIR"]) / "plans").iterdir()
    pairs = codec.decode_pairs(PLAN_KIND, plan_file.read_bytes())
    assert pairs is not None
    evil = "-toolexec=/bin/false"
    tampered = [(n, evil if v == "example.com/m/cmd/a" else v) for n, v in pairs]
    plan_file.write_bytes(codec.encode(PLAN_KIND, tampered))
    logged_go_calls(log)

    results = build_all(module, env)
    calls = logged_go_calls(log)
    assert all(c.index(evil) > c.index(" -- ") for c in calls if evil in c)
    assert "example.com/m/cmd/a" in results  # the full path built the real package
    assert_static_by_readelf(module / "bin" / "a")


# --- the plan file (pure) ---------------------------------------------------------------


def sample_plan() -> Plan:
    return Plan(
        goflags="-trimpath",
        project=("/p/gostatic.toml", (1, 2, 3)),
        list_with_cgo=True,
        stage_key="group\n/p\nbin/\n./...",
        listed=(Listed("example.com/m/cmd/a", "main", "/p/cmd/a"), Listed("x/lib", "lib", "/p/l")),
        members=(Member("example.com/m/cmd/a", "a", "bin/a"),),
    )


def test_a_plan_reads_back_as_written(tmp_path: Path) -> None:
    key = PlanKey(str(tmp_path / "plans" / "k"), ("cwd", "./..."))
    write_plan(key, sample_plan())
    assert read_plan(key) == sample_plan()
    assert read_plan(key._replace(material=("cwd", "./cmd/..."))) is None
    assert planned_packages(key.path) == ("example.com/m/cmd/a",)


def test_a_plan_of_one_package_without_output_reads_back_as_written(tmp_path: Path) -> None:
    key = PlanKey(str(tmp_path / "k"), ("cwd", "./cmd/a"))
    plan = sample_plan()._replace(
        project=("/p/gostatic.toml", None),
        list_with_cgo=False,
        listed=sample_plan().listed[:1],
        members=(Member("example.com/m/cmd/a", "a", None),),
    )
    write_plan(key, plan)
    assert read_plan(key) == plan


Pairs = list[tuple[str, str]]


def _without_last(pairs: Pairs, name: str) -> Pairs:
    at = max(i for i, (n, _) in enumerate(pairs) if n == name)
    return pairs[:at] + pairs[at + 1 :]


def _set(pairs: Pairs, name: str, value: str) -> Pairs:
    return [(n, value if n == name else v) for n, v in pairs]


@pytest.mark.parametrize(
    "edit",
    [
        lambda p: _without_last(p, "member_output"),  # a member cut short
        lambda p: _without_last(p, "listed_dir"),  # a listed package cut short
        lambda p: [*p, ("extra", "x")],  # a name the reader does not know
        lambda p: [*p, ("goflags", "-a")],  # a field held twice
        lambda p: _without_last(p, "stage_key"),  # a field missing
        lambda p: _set(p, "project_id", "1:2"),  # not a file identity
        lambda p: _set(p, "project_id", "1:2:many"),
        lambda p: _set(p, "list_with_cgo", "yes"),  # not a flag
        lambda p: p[:3],
    ],
)
def test_a_plan_of_the_wrong_shape_is_no_plan(tmp_path: Path, edit: object) -> None:
    key = PlanKey(str(tmp_path / "k"), ("cwd",))
    write_plan(key, sample_plan())
    pairs = codec.decode_pairs(PLAN_KIND, Path(key.path).read_bytes())
    assert pairs is not None
    assert callable(edit)
    Path(key.path).write_bytes(codec.encode(PLAN_KIND, edit(pairs)))
    assert read_plan(key) is None
    assert planned_packages(key.path) == ()


@pytest.mark.parametrize(
    "content",
    [
        b"gostatic-plan-2\0material\0cwd\0goflags\0",  # a name without a value
        b"gostatic-plan-2\0material\0cwd",  # cut short
        b"gostatic-plan-1\0cwd\0",  # the first format: no plan, as no file is
        b"gostatic-group-1\0" + b"9\0" * 12,
        b"\xff\0not a plan",
    ],
)
def test_a_file_that_is_not_a_plan_is_no_plan(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "k"
    path.write_bytes(content)
    assert read_plan(PlanKey(str(path), ("cwd",))) is None
    assert planned_packages(str(path)) == ()
