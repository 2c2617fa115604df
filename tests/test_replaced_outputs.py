"""Outputs replaced behind gostatic's back (restored from a CI artifact, copied over by
another tool): the fast path re-checks the stage binary and installs it again, with the
one go build per strategy of an up-to-date build, instead of taking the full path.

go calls are counted with a wrapper (GOSTATIC_GO) that logs each call, never timed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gostatic.incremental.fast import UP_TO_DATE_DETAIL
from tests.support import (
    SEED_FMT,
    SEED_SYSLOG,
    assert_static_by_readelf,
    go_subcommands,
    logged_go_calls,
    requires_go,
    run_gostatic,
    write_module,
)

pytestmark = [pytest.mark.slow, requires_go]
M = "example.com/m/cmd"


def build(module: Path, env: dict[str, str], *args: str) -> dict[str, dict[str, object]]:
    run = run_gostatic(["build", "--json", *args], module, env)
    assert run.returncode == 0, run.stderr
    return {r["package"]: r for r in json.loads(run.stdout)["results"]}


def test_restored_outputs_of_a_pattern_are_checked_and_installed_again(
    tmp_path: Path, counted: tuple[dict[str, str], Path]
) -> None:
    env, log = counted
    module = write_module(
        tmp_path / "m",
        {
            "cmd/a/main.go": SEED_FMT.replace("Hello", "Alpha"),
            "cmd/b/main.go": SEED_FMT.replace("Hello", "Beta"),
            "cmd/logger/main.go": SEED_SYSLOG,
        },
    )
    build(module, env, "-o", "bin/", "./...")
    artifact = tmp_path / "artifact"
    shutil.copytree(module / "bin", artifact)
    # A restore writes new files: same bytes, new times (a restore that keeps the times
    # may reuse the inodes too, and then nothing tells it apart). And one output is
    # replaced by another program altogether.
    shutil.rmtree(module / "bin")
    shutil.copytree(artifact, module / "bin", copy_function=shutil.copyfile)
    shutil.copyfile(artifact / "a", module / "bin" / "b")
    logged_go_calls(log)

    results = build(module, env, "-o", "bin/", "./...")
    assert sorted(go_subcommands(logged_go_calls(log))) == ["build", "build", "list"]
    assert {p: r["strategy"] for p, r in results.items()} == {
        f"{M}/a": "plain",
        f"{M}/b": "plain",
        f"{M}/logger": "netgo",
    }
    assert not any(r["attempts"][-1]["detail"] == UP_TO_DATE_DETAIL for r in results.values())
    for name in ("a", "b", "logger"):
        assert (module / "bin" / name).read_bytes() == (artifact / name).read_bytes()
        assert_static_by_readelf(module / "bin" / name)
    # Installed and stamped: the next build has nothing to do.
    before = {p.name: p.stat().st_ino for p in (module / "bin").iterdir()}
    build(module, env, "-o", "bin/", "./...")
    assert {p.name: p.stat().st_ino for p in (module / "bin").iterdir()} == before


def test_a_restored_single_output_costs_one_go_build(
    tmp_path: Path, counted: tuple[dict[str, str], Path]
) -> None:
    env, log = counted
    module = write_module(tmp_path / "m", {"cmd/app/main.go": SEED_FMT})
    build(module, env, "-o", "app", "./cmd/app")
    # Restored from an artifact: the same program, a new file (go, too, refuses to replace
    # a file that is no program or object file).
    restored = (module / "app").read_bytes()
    (module / "app").unlink()
    (module / "app").write_bytes(restored)
    logged_go_calls(log)

    [result] = build(module, env, "-o", "app", "./cmd/app").values()
    assert go_subcommands(logged_go_calls(log)) == ["build"]
    assert result["strategy"] == "plain"
    assert_static_by_readelf(module / "app")
