"""Outputs replaced behind gostatic's back (restored from a CI artifact, copied over by
another tool): an output that is still the proved binary byte for byte, by go's content
ID (gostatic.incremental.contentid), is up to date, with nothing linked again; any other
is installed again from the stage binary, which go links again; both with the one go
build per strategy of an up-to-date build, never the full path.

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


def stage_binaries(env: dict[str, str]) -> dict[str, int]:
    """Each stage binary's inode, by strategy and name: go links a binary into a new file."""
    stage = Path(env["GOSTATIC_CACHE_DIR"]) / "stage"
    return {
        f"{p.parent.name}/{p.name}": p.stat().st_ino
        for p in stage.glob("*/*/*")
        if p.parent.name in ("plain", "netgo")
    }


def test_restored_outputs_are_recognised_and_a_replaced_one_installed_again(
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
    linked = stage_binaries(env)
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
    up_to_date = {p for p, r in results.items() if r["attempts"][-1]["detail"] == UP_TO_DATE_DETAIL}
    assert up_to_date == {f"{M}/a", f"{M}/logger"}
    relinked = {k for k, ino in stage_binaries(env).items() if linked.get(k) != ino}
    assert relinked == {"plain/b"}  # the stage binary of the replaced output only
    for name in ("a", "b", "logger"):
        assert (module / "bin" / name).read_bytes() == (artifact / name).read_bytes()
        assert_static_by_readelf(module / "bin" / name)
    # Installed and stamped: the next build has nothing to do.
    before = {p.name: p.stat().st_ino for p in (module / "bin").iterdir()}
    build(module, env, "-o", "bin/", "./...")
    assert {p.name: p.stat().st_ino for p in (module / "bin").iterdir()} == before


def test_a_restored_output_damaged_past_its_header_is_installed_again(
    tmp_path: Path, counted: tuple[dict[str, str], Path]
) -> None:
    # Its build ID (in the first 32 KiB) is the proved one; its content ID is not.
    env, log = counted
    module = write_module(tmp_path / "m", {"cmd/app/main.go": SEED_FMT})
    build(module, env, "-o", "app", "./cmd/app")
    good = (module / "app").read_bytes()
    damaged = bytearray(good)
    damaged[len(good) // 2] ^= 0xFF
    (module / "app").unlink()
    (module / "app").write_bytes(bytes(damaged))
    logged_go_calls(log)

    [result] = build(module, env, "-o", "app", "./cmd/app").values()
    assert go_subcommands(logged_go_calls(log)) == ["build"]
    assert result["attempts"][-1]["detail"] != UP_TO_DATE_DETAIL
    assert (module / "app").read_bytes() == good
    assert_static_by_readelf(module / "app")


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


def test_a_restored_output_beside_a_damaged_stage_binary_links_again(
    tmp_path: Path, counted: tuple[dict[str, str], Path]
) -> None:
    # The output is the proved binary, but the stage binary go would find up to date is
    # not: it is never kept, so that no later install copies it.
    env, _ = counted
    module = write_module(tmp_path / "m", {"cmd/app/main.go": SEED_FMT})
    build(module, env, "-o", "app", "./cmd/app")
    [(key, inode)] = stage_binaries(env).items()
    stage_bin = next((Path(env["GOSTATIC_CACHE_DIR"]) / "stage").glob(f"*/{key}"))
    damaged = bytearray(stage_bin.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    stage_bin.write_bytes(bytes(damaged))  # in place: same inode
    good = (module / "app").read_bytes()
    (module / "app").unlink()
    (module / "app").write_bytes(good)

    [result] = build(module, env, "-o", "app", "./cmd/app").values()
    assert result["static"]
    assert stage_binaries(env)[key] != inode  # linked again
    assert (module / "app").read_bytes() == good
    assert_static_by_readelf(module / "app")
