"""A cold build of a command line that names several main packages (gostatic.builder.climbs): one
go build per strategy the import graph predicts, not one per package; a package whose
prediction fails climbs on alone.

go calls are counted with a wrapper (GOSTATIC_GO) that logs each call, never timed;
binaries are checked with readelf, and run in an empty root.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import (
    SEED_CGO,
    SEED_FMT,
    SEED_SYSLOG,
    assert_static_by_readelf,
    go_builds,
    logged_go_calls,
    requires_go,
    run_gostatic,
    run_in_empty_root,
    write_module,
)

pytestmark = [pytest.mark.slow, requires_go]
M = "example.com/m/cmd"


def greeting(word: str) -> str:
    return SEED_FMT.replace("Hello", word)


def build(
    module: Path, env: dict[str, str], *args: str
) -> tuple[int, dict[str, dict[str, object]]]:
    run = run_gostatic(["build", "--json", *args], module, env)
    results = {r["package"]: r for r in json.loads(run.stdout)["results"]}
    return run.returncode, results


def outcomes(result: dict[str, object]) -> list[tuple[str, str]]:
    attempts = result["attempts"]
    assert isinstance(attempts, list)
    return [(a["strategy"], a["outcome"]) for a in attempts]


def test_five_commands_of_three_strategies_cost_three_go_builds(
    tmp_path: Path, counted: tuple[dict[str, str], Path]
) -> None:
    env, log = counted
    module = write_module(
        tmp_path / "m",
        {
            "cmd/a/main.go": greeting("Alpha"),
            "cmd/b/main.go": greeting("Beta"),
            "cmd/c/main.go": greeting("Gamma"),
            "cmd/logger/main.go": SEED_SYSLOG,
            "cmd/cgoer/main.go": SEED_CGO,
        },
    )
    status, results = build(module, env, "-o", "bin/", "./...")
    assert status == 0
    assert {p: r["strategy"] for p, r in results.items()} == {
        **{f"{M}/{n}": "plain" for n in "abc"},
        f"{M}/logger": "netgo",
        f"{M}/cgoer": "external-static",
    }
    assert all(len(outcomes(r)) == 1 for r in results.values())
    builds = go_builds(logged_go_calls(log))
    assert len(builds) == 3, builds
    [plain] = [b for b in builds if "netgo" not in b and "cmd/a" in b]
    assert plain.endswith(f"-- {M}/a {M}/b {M}/c")
    for name in ("a", "b", "c", "logger", "cgoer"):
        assert_static_by_readelf(module / "bin" / name)
    ran = run_in_empty_root(module / "bin" / "b", tmp_path / "root")
    assert ran.stdout.startswith("Beta")


def test_a_command_whose_prediction_fails_climbs_on_alone(
    tmp_path: Path, counted: tuple[dict[str, str], Path]
) -> None:
    # The user links cmd/a externally: the graph predicts plain for all three, and cmd/a's
    # plain binary comes out dynamic. The others are settled from the one go build.
    env, log = counted
    module = write_module(tmp_path / "m", {f"cmd/{n}/main.go": greeting(n.upper()) for n in "abc"})
    ldflags = f"-ldflags={M}/a=-linkmode=external"
    status, results = build(module, env, ldflags, "-o", "bin/", "./...")
    assert status == 0
    assert outcomes(results[f"{M}/b"]) == outcomes(results[f"{M}/c"]) == [("plain", "static")]
    a = outcomes(results[f"{M}/a"])
    assert a[0] == ("plain", "dynamic") and a[-1] == ("external-static", "static")
    builds = go_builds(logged_go_calls(log))
    assert builds[0].endswith(" -- ./...")  # every package: the command line's own arguments
    assert all(b.endswith(f" {M}/a") for b in builds[1:]), builds
    assert len(builds) == len(a), builds  # one for the group, one per later rung of cmd/a
    for name in "abc":
        assert_static_by_readelf(module / "bin" / name)


def test_a_command_that_does_not_compile_is_told_apart_by_its_own_build(
    tmp_path: Path, counted: tuple[dict[str, str], Path]
) -> None:
    env, log = counted
    module = write_module(
        tmp_path / "m",
        {
            "cmd/a/main.go": greeting("Alpha"),
            "cmd/b/main.go": "package main\n\nfunc main() { nosuch() }\n",
            "cmd/c/main.go": greeting("Gamma"),
        },
    )
    run = run_gostatic(["build", "-o", "bin/", "./..."], module, env)
    assert run.returncode == 1
    assert "# example.com/m/cmd/b\n" in run.stderr and "undefined: nosuch" in run.stderr
    assert "Traceback" not in run.stderr
    builds = go_builds(logged_go_calls(log))
    # The group's build, then cmd/b alone: go wrote the others' binaries all the same.
    assert len(builds) == 2 and builds[1].endswith(f" {M}/b"), builds
    assert sorted(p.name for p in (module / "bin").iterdir()) == ["a", "c"]
    for name in "ac":
        assert_static_by_readelf(module / "bin" / name)


def test_json_reports_the_compile_error_for_the_right_package(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    module = write_module(
        tmp_path / "m",
        {
            "cmd/a/main.go": greeting("Alpha"),
            "cmd/b/main.go": greeting("Beta"),
            "cmd/c/main.go": "package main\n\nfunc main() { return 1 }\n",
        },
    )
    status, results = build(module, gostatic_env, "-o", "bin/", "./...")
    assert status == 1
    assert [results[f"{M}/{n}"]["static"] for n in "abc"] == [True, True, False]
    assert outcomes(results[f"{M}/c"]) == [("plain", "build-failed")]
