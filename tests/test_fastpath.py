"""The up-to-date fast path: one `go build` when nothing changed, the full path otherwise.

go calls are counted with a wrapper (GOSTATIC_GO) that logs its subcommand, never timed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from gostatic.incremental import codec
from gostatic.incremental.fast import UP_TO_DATE_DETAIL
from gostatic.incremental.plan import PLAN_KIND
from tests.support import (
    SEED_CGO,
    SEED_FMT,
    SEED_SYSLOG,
    assert_static_by_readelf,
    go_subcommands,
    imports_of,
    logged_go_calls,
    requires_go,
    run_gostatic,
    run_in_empty_root,
    write_module,
)

pytestmark = [pytest.mark.slow, requires_go]


def go_calls(log: Path) -> list[str]:
    return go_subcommands(logged_go_calls(log))


# The full path: go env, go list and one go build. go list may be started beside go env
# (or by a fast path that then gives up), so the log holds the first two in either order.
FULL_PATH = ["build", "env", "list"]
# A cold build whose guessed first rung is proved exact and taken needs no go list
# (gostatic.builder.guessproof): these tests' program, named by its directory, is one.
COLD_PROVED = ["build", "env"]


@pytest.fixture
def module(tmp_path: Path) -> Path:
    return write_module(tmp_path / "m", {"cmd/logger/main.go": SEED_SYSLOG})


def tamper_plan(plan_file: Path, changes: dict[str, str]) -> None:
    """Give each named field of the plan file (gostatic.incremental.plan's names, which a
    single package's plan holds once each) a new value."""
    pairs = codec.decode_pairs(PLAN_KIND, plan_file.read_bytes())
    assert pairs is not None
    names = [name for name, _ in pairs]
    assert all(names.count(name) == 1 for name in changes), names
    tampered = [(name, changes.get(name, value)) for name, value in pairs]
    plan_file.write_bytes(codec.encode(PLAN_KIND, tampered))


def build(module: Path, env: dict[str, str], *extra: str) -> dict[str, object]:
    run = run_gostatic(["build", "--json", *extra, "-o", "bin/logger", "./cmd/logger"], module, env)
    assert run.returncode == 0, run.stderr
    [result] = json.loads(run.stdout)["results"]
    assert isinstance(result, dict)
    return result


def test_an_up_to_date_build_runs_go_once_and_copies_nothing(
    module: Path, counted: tuple[dict[str, str], Path]
) -> None:
    env, log = counted
    build(module, env)
    assert sorted(go_calls(log)) == COLD_PROVED
    binary = module / "bin" / "logger"
    before, content = binary.stat(), binary.read_bytes()

    result = build(module, env)
    assert go_calls(log) == ["build"]
    assert result["strategy"] == "netgo" and result["static"] is True
    assert binary.stat().st_ino == before.st_ino and binary.read_bytes() == content


@pytest.mark.parametrize("extra", [(), ("--no-cache",)])  # the fast path, the full path
def test_an_up_to_date_output_is_touched_as_go_build_touches_it(
    module: Path, counted: tuple[dict[str, str], Path], extra: tuple[str, ...]
) -> None:
    # A Makefile rule `bin/logger: cmd/logger/*.go`: after `touch main.go` make runs the
    # build; unless the output is then no older than the source, make runs it every time.
    env, log = counted
    build(module, env, *extra)
    source, binary = module / "cmd" / "logger" / "main.go", module / "bin" / "logger"
    touched = binary.stat().st_mtime_ns + 1  # `touch main.go`: just newer than the output
    os.utime(source, ns=(touched, touched))
    inode = binary.stat().st_ino

    for _ in range(2):  # and the stamp knows the touched output: still up to date after
        go_calls(log)
        result = build(module, env, *extra)
        assert extra or result["attempts"][-1]["detail"] == UP_TO_DATE_DETAIL
        assert binary.stat().st_ino == inode  # nothing copied
        assert binary.stat().st_mtime_ns >= source.stat().st_mtime_ns  # what make compares
    assert sorted(go_calls(log)) == (COLD_PROVED if extra else ["build"])


def test_a_change_that_keeps_the_strategy_costs_one_go_build(
    module: Path, tmp_path: Path, counted: tuple[dict[str, str], Path]
) -> None:
    env, log = counted
    build(module, env)
    go_calls(log)
    source = module / "cmd" / "logger" / "main.go"
    source.write_text(SEED_SYSLOG.replace("Hello %d!", "Hello again %d!"))

    result = build(module, env)
    # The strategy that worked is run again and its new binary read as the ladder reads
    # it: no go env, no go list.
    assert go_calls(log) == ["build"]
    assert result["strategy"] == "netgo"
    binary = module / "bin" / "logger"
    assert_static_by_readelf(binary)
    proc = run_in_empty_root(binary, tmp_path / "root")
    assert "Hello again 42!" in proc.stdout + proc.stderr


def test_a_cgo_off_rebuild_asks_the_import_graph(
    module: Path, counted: tuple[dict[str, str], Path]
) -> None:
    # Whether CGO_ENABLED=0 compiled a stub only the graph can tell: the full path decides.
    env, log = counted
    build(module, env, "--strategy", "cgo-off")
    go_calls(log)
    source = module / "cmd" / "logger" / "main.go"
    source.write_text(SEED_SYSLOG.replace("Hello %d!", "Hello again %d!"))
    result = build(module, env, "--strategy", "cgo-off")
    assert sorted(go_calls(log)) == ["build", "env", "list"]  # the build is not run twice
    assert result["strategy"] == "cgo-off"


def test_a_change_that_makes_it_dynamic_is_caught(
    module: Path, gostatic_env: dict[str, str]
) -> None:
    env = gostatic_env
    build(module, env)
    (module / "cmd" / "logger" / "main.go").write_text(SEED_CGO)
    result = build(module, env)
    assert result["strategy"] == "external-static"
    assert_static_by_readelf(module / "bin" / "logger")
    # The fast path's copy of the dynamic binary, made beside the output to be checked,
    # was removed, not installed.
    assert [p.name for p in (module / "bin").iterdir()] == ["logger"]


def test_a_replaced_output_is_installed_again(module: Path, gostatic_env: dict[str, str]) -> None:
    env = gostatic_env
    build(module, env)
    (module / "bin" / "logger").write_bytes(b"\x7fELF, but not the binary")
    build(module, env)
    assert_static_by_readelf(module / "bin" / "logger")


def test_a_new_pin_in_the_project_file_voids_the_plan(
    module: Path, gostatic_env: dict[str, str]
) -> None:
    env = gostatic_env
    build(module, env)
    (module / "gostatic.toml").write_text('[pin]\n"example.com/m/cmd/logger" = "cgo-off"\n')
    result = build(module, env)
    assert result["strategy"] == "cgo-off"


def test_a_tampered_plan_means_the_full_path(
    module: Path, counted: tuple[dict[str, str], Path]
) -> None:
    env, log = counted
    build(module, env)
    plans = list((Path(env["GOSTATIC_CACHE_DIR"]) / "plans").iterdir())
    assert len(plans) == 1
    plans[0].write_bytes(b'{"package": 1, "stage_key": ["-ldflags=-evil"]}')
    go_calls(log)
    result = build(module, env)
    assert sorted(go_calls(log)) == FULL_PATH
    assert result["strategy"] == "netgo"


def test_no_cache_and_strategy_change_skip_the_plan(
    module: Path, counted: tuple[dict[str, str], Path]
) -> None:
    env, log = counted
    build(module, env)
    go_calls(log)
    build(module, env, "--no-cache")
    assert "env" in go_calls(log)  # the full path: the fast path asks go build alone
    result = build(module, env, "--strategy", "cgo-off")
    assert result["strategy"] == "cgo-off"


@pytest.mark.parametrize(
    "tamper",
    [
        {"goflags": "-ldflags=-extld=EVIL"},
        {"member_output": "../stolen"},
        {"member_output": ""},
        {"member_name": "../../stolen"},
    ],
)
def test_a_plan_cannot_inject_arguments_or_targets(
    module: Path, tmp_path: Path, counted: tuple[dict[str, str], Path], tamper: dict[str, str]
) -> None:
    env, log = counted
    build(module, env)
    evil = tmp_path / "evil"
    marker = tmp_path / "evil-ran"
    evil.write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n")
    evil.chmod(0o755)
    [plan_file] = (Path(env["GOSTATIC_CACHE_DIR"]) / "plans").iterdir()
    tamper_plan(plan_file, {k: v.replace("EVIL", str(evil)) for k, v in tamper.items()})
    go_calls(log)

    result = build(module, env)
    assert not marker.exists()
    assert sorted(go_calls(log)) == FULL_PATH  # the full path, from go's own facts
    assert result["strategy"] == "netgo"
    assert not (module.parent / "stolen").exists() and not (tmp_path / "stolen").exists()


def test_a_plan_never_chooses_what_is_built(
    module: Path, tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    # The package arguments are the command line's own; whatever a plan file says
    # about packages is not passed to go.
    env = gostatic_env
    build(module, env)
    evil = write_module(tmp_path / "evil", {"main.go": SEED_FMT.replace("Hello", "EVIL")})
    [plan_file] = (Path(env["GOSTATIC_CACHE_DIR"]) / "plans").iterdir()
    # The plan stays consistent (the package it builds is the one it lists), so it is
    # taken: only the build itself could go wrong.
    evil_package = {"member_package": "example.com/evil", "listed_import_path": "example.com/evil"}
    tamper_plan(plan_file, {**evil_package, "listed_dir": str(evil)})
    (module / "cmd" / "logger" / "main.go").write_text(
        SEED_SYSLOG.replace("Hello %d!", "Hello again %d!")
    )
    build(module, env)
    proc = run_in_empty_root(module / "bin" / "logger", tmp_path / "root")
    out = proc.stdout + proc.stderr
    assert "Hello again 42!" in out and "EVIL" not in out


# What an up-to-date build may import beyond a bare interpreter (python -S, which does not
# load os either): gostatic's own modules and a few C modules that cost ~0.1 ms. typing,
# re, json, pathlib, subprocess, threading, hashlib, collections and the like each cost
# milliseconds against go's 40-70 ms (docs/performance.md).
HOT_PATH_IMPORTS = {
    "__future__", "_collections_abc", "_stat", "errno", "genericpath", "os", "os.path",
    "posixpath", "select", "stat", "zlib", "fcntl",
}  # fmt: skip


@pytest.mark.parametrize(
    ("args", "fast_module"),
    [
        (("build", "-o", "bin/logger", "./cmd/logger"), "gostatic.incremental.fast"),
        (("build", "-o", "bin/", "./..."), "gostatic.incremental.fast"),
    ],
)
def test_an_up_to_date_build_imports_only_what_the_interpreter_has(
    module: Path, gostatic_env: dict[str, str], args: tuple[str, ...], fast_module: str
) -> None:
    assert run_gostatic(list(args), module, gostatic_env).returncode == 0
    said, imported = imports_of(
        "from gostatic.__main__ import main\nprint(main(sys.argv[1:]))", args, module, gostatic_env
    )
    assert said == ["0"]
    unexpected = {m for m in imported if m != "gostatic" and not m.startswith("gostatic.")}
    assert unexpected <= HOT_PATH_IMPORTS, sorted(unexpected - HOT_PATH_IMPORTS)
    assert fast_module in imported
    assert "gostatic.elf.facts" not in imported and "gostatic.builder.full" not in imported
