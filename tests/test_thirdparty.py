"""Real third-party modules, fetched through the Go module proxy, built static and run.

- github.com/mattn/go-sqlite3: cgo with SQLite's C source inside. The classic trap:
  CGO_ENABLED=0 "succeeds" with a stub whose every call fails, and the ELF check passes.
- github.com/lib/pq: pure Go, yet dynamic by default through net and os/user (pq looks up
  the current user for the default role), the usual "no such file or directory" in a
  FROM-scratch image. netgo,osusergo is the fix.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support import (
    assert_static_by_readelf,
    readelf_facts,
    requires_go,
    run_gostatic,
    run_in_empty_root,
    write_module,
)

pytestmark = [pytest.mark.slow, pytest.mark.network, requires_go]

SQLITE = "github.com/mattn/go-sqlite3@v1.14.53"
PQ = "github.com/lib/pq@v1.12.3"

SQLITE_MAIN = """package main

import (
	"database/sql"
	"fmt"
	"os"

	_ "github.com/mattn/go-sqlite3"
)

func main() {
	db, err := sql.Open("sqlite3", ":memory:")
	if err == nil {
		var version string
		if err = db.QueryRow("select sqlite_version()").Scan(&version); err == nil {
			fmt.Println("sqlite", version)
			return
		}
	}
	fmt.Println("error:", err)
	os.Exit(1)
}
"""

PQ_MAIN = """package main

import (
	"database/sql"
	"fmt"

	_ "github.com/lib/pq"
)

func main() {
	// Nothing listens on port 1: the point is that pq's network code runs at all.
	db, err := sql.Open("postgres", "host=127.0.0.1 port=1 user=u dbname=d sslmode=disable")
	if err == nil {
		err = db.Ping()
	}
	fmt.Println("ping:", err)
}
"""


def _module(root: Path, main: str, requirement: str) -> Path:
    mod = write_module(root, {"main.go": main})
    got = subprocess.run(
        ["go", "get", requirement], cwd=mod, capture_output=True, text=True, check=False
    )
    if got.returncode != 0:
        pytest.skip(f"cannot fetch {requirement} through the Go module proxy: {got.stderr}")
    return mod


def _build(mod: Path, cache: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    # The default, shared GOCACHE: go-sqlite3's C compile (~60-100 s) happens once.
    env = {**os.environ, "GOSTATIC_CACHE_DIR": str(cache)}
    run = run_gostatic(["build", "--json", *extra, "-o", "app", "."], mod, env, timeout=900)
    [result] = json.loads(run.stdout)["results"]
    return run.returncode, result, run.stderr


@pytest.fixture(scope="module")
def sqlite(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("sqlite")
    mod = _module(root / "m", SQLITE_MAIN, SQLITE)
    status, result, stderr = _build(mod, root / "cache")
    assert status == 0, stderr
    return mod, result


def test_go_sqlite3_is_static_and_not_the_cgo_stub(sqlite: tuple[Path, dict[str, Any]]) -> None:
    mod, result = sqlite
    assert result["strategy"] == "external-static"
    assert result["hazards"] == []
    # The import graph names go-sqlite3 a cgo package without a pure-Go fallback: no
    # CGO_ENABLED=0 build is taken (nor, predicted external-static first, even tried).
    assert not any(
        a["strategy"] == "cgo-off" and a["outcome"] == "static" for a in result["attempts"]
    )
    assert_static_by_readelf(mod / "app")


def test_a_stub_built_anyway_is_rejected_by_its_elf(
    sqlite: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """With CGO_ENABLED=0 set by the user, the plain rung itself compiles the stub: the
    graph sees no cgo then, and only the ELF's stub signature tells."""
    mod, _ = sqlite
    env = {**os.environ, "GOSTATIC_CACHE_DIR": str(tmp_path / "cache"), "CGO_ENABLED": "0"}
    run = run_gostatic(["build", "--json", "-o", "stubbed", "."], mod, env, timeout=900)
    assert run.returncode == 0, run.stderr
    [result] = json.loads(run.stdout)["results"]
    assert result["strategy"] == "external-static"
    plain = result["attempts"][0]
    assert (plain["strategy"], plain["outcome"]) == ("plain", "static")
    assert plain["detail"].startswith("rejected: cgo-stub")
    proc = run_in_empty_root(mod / "stubbed", tmp_path / "root")
    assert proc.returncode == 0 and proc.stdout.startswith("sqlite 3."), proc.stdout


def test_go_sqlite3_answers_a_query_in_an_empty_root(
    sqlite: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    mod, _ = sqlite
    proc = run_in_empty_root(mod / "app", tmp_path / "root")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("sqlite 3.")


def test_the_cgo_stub_is_static_and_broken_without_gostatic(
    sqlite: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """The oracle can fail: CGO_ENABLED=0 passes an ELF check and fails every query."""
    mod, _ = sqlite
    stub = tmp_path / "stub"
    env = {**os.environ, "CGO_ENABLED": "0"}
    subprocess.run(["go", "build", "-o", str(stub), "."], cwd=mod, env=env, check=True)
    assert readelf_facts(stub) == (False, [])
    proc = run_in_empty_root(stub, tmp_path / "root")
    assert proc.returncode == 1 and "CGO_ENABLED=0" in proc.stdout


def test_forcing_cgo_off_on_go_sqlite3_writes_nothing(
    sqlite: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    mod, _ = sqlite
    (mod / "app").unlink()
    status, result, _ = _build(mod, tmp_path / "cache", "--strategy", "cgo-off")
    assert status == 3
    assert result["static"] is False
    assert not (mod / "app").exists()


def test_lib_pq_is_static_with_netgo_and_reaches_the_network(tmp_path: Path) -> None:
    mod = _module(tmp_path / "pq", PQ_MAIN, PQ)
    plain = tmp_path / "plain"
    subprocess.run(["go", "build", "-o", str(plain), "."], cwd=mod, check=True)
    assert readelf_facts(plain)[0], "the oracle can fail: go build alone gives a dynamic pq"

    status, result, stderr = _build(mod, tmp_path / "cache")
    assert status == 0, stderr
    assert result["strategy"] == "netgo"
    assert_static_by_readelf(mod / "app")
    proc = run_in_empty_root(mod / "app", tmp_path / "root")
    assert proc.returncode == 0, proc.stderr
    assert "127.0.0.1:1" in proc.stdout and "connection refused" in proc.stdout
