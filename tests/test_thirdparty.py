"""Real third-party modules, fetched through the Go module proxy, built static and run.

A table of real programs (issue 15), each built with `gostatic build --json`, checked with
readelf and run in an empty root; then what gostatic reported (strategy, hazards) is held
to what the program is.

- github.com/mattn/go-sqlite3: cgo with SQLite's C source inside. The classic trap:
  CGO_ENABLED=0 "succeeds" with a stub whose every call fails, and the ELF check passes.
  SQLite's extension loader calls dlopen (the static linker warns);
  `-tags sqlite_omit_load_extension` leaves it out.
- github.com/confluentinc/confluent-kafka-go/v2: a bundled librdkafka archive for glibc and
  one for musl, chosen with `-tags musl`; the glibc one carries the NSS loader and needs
  getcontext, which musl lacks.
- github.com/duckdb/duckdb-go/v2: DuckDB's C++ as a prebuilt static archive (a 64 MB
  binary). v2.10506.0: the next release's libraries come from go.duckdb.org modules.
- github.com/ebitengine/purego: dlopen without cgo's C.dlopen, through its own
  trampolines; static, and it fails in an empty root.
- libpng through `#cgo pkg-config: libpng` (Debian's libpng-dev): its static archive needs
  zlib, which only `pkg-config --static` names.
- github.com/lib/pq: pure Go, yet dynamic by default through net and os/user (pq looks up
  the current user for the default role), the usual "no such file or directory" in a
  FROM-scratch image. netgo,osusergo is the fix.

Time: the C and C++ builds dominate (SQLite's amalgamation is compiled twice, with and
without its extension loader, ~1-2 min each; DuckDB's link ~1 min); go's build cache and
module cache are the user's own, shared with every other build.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.support import (
    MUSL_GCC,
    assert_static_by_readelf,
    go_builds,
    logged_go_calls,
    logging_go,
    readelf_facts,
    requires_go,
    run_gostatic,
    run_in_empty_root,
    write_module,
)
from tests.test_pkgconfig import PNG_MAIN, requires_libpng

pytestmark = [pytest.mark.slow, pytest.mark.network, requires_go]

SQLITE = "github.com/mattn/go-sqlite3@v1.14.53"
PQ = "github.com/lib/pq@v1.12.3"
KAFKA = "github.com/confluentinc/confluent-kafka-go/v2@v2.11.1"
DUCKDB = "github.com/duckdb/duckdb-go/v2@v2.10506.0"
PUREGO = "github.com/ebitengine/purego@v0.11.3"

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

KAFKA_MAIN = """package main

import (
	"fmt"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

func main() {
	_, version := kafka.LibraryVersion()
	fmt.Println("librdkafka", version)
}
"""

DUCKDB_MAIN = """package main

import (
	"database/sql"
	"fmt"
	"os"

	_ "github.com/duckdb/duckdb-go/v2"
)

func main() {
	db, err := sql.Open("duckdb", "")
	if err == nil {
		var answer int
		if err = db.QueryRow("SELECT 40 + 2").Scan(&answer); err == nil {
			fmt.Println("duckdb", answer)
			return
		}
	}
	fmt.Println("error:", err)
	os.Exit(1)
}
"""

PUREGO_MAIN = """package main

import (
	"fmt"
	"os"

	"github.com/ebitengine/purego"
)

func main() {
	libc, err := purego.Dlopen("libc.so.6", purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		fmt.Println("dlopen failed:", err)
		os.Exit(1)
	}
	var getpid func() int32
	purego.RegisterLibFunc(&getpid, libc, "getpid")
	fmt.Println("pid", getpid() > 0)
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


class Row(NamedTuple):
    """One real program and what gostatic must make of it."""

    id: str
    main: str
    requirement: str | None  # fetched through the Go module proxy; None: a system library
    flags: tuple[str, ...] = ()  # gostatic build's own and go's
    status: int = 0
    run: tuple[int, str] = (0, "")  # in an empty root: exit status, start of stdout
    strategy: str | None = None  # None: not checked
    hazards: frozenset[str] = frozenset()  # the kinds reported, exactly
    words: tuple[str, ...] = ()  # in the hazards' details
    plain_first: bool = False  # a plain go build of the same package first
    needs_musl: bool = False  # musl-gcc for the build; without it the row is skipped


ROWS = (
    Row(
        "go-sqlite3",
        SQLITE_MAIN,
        SQLITE,
        run=(0, "sqlite 3."),
        strategy="external-static",
        hazards=frozenset({"dlopen"}),
        words=("github.com/mattn/go-sqlite3", "sqlite_omit_load_extension"),
    ),
    Row(
        "go-sqlite3-omit-load-extension",
        SQLITE_MAIN,
        SQLITE,
        flags=("-tags", "sqlite_omit_load_extension"),
        run=(0, "sqlite 3."),
        strategy="external-static",
    ),
    Row(
        "confluent-kafka-go",
        KAFKA_MAIN,
        KAFKA,
        run=(0, "librdkafka 2.11.1"),
        strategy="musl-static",
        # librdkafka's plugin loader (and OpenSSL's) call dlopen, which static musl refuses.
        hazards=frozenset({"dlopen"}),
        words=("rd_dl_open", "Dynamic loading not supported"),
    ),
    Row(
        "confluent-kafka-go-tags-musl",
        KAFKA_MAIN,
        KAFKA,
        flags=("-tags", "musl"),
        run=(0, "librdkafka 2.11.1"),
        strategy="musl-static",
        hazards=frozenset({"dlopen"}),
        words=("rd_dl_open", "Dynamic loading not supported"),
        needs_musl=True,
    ),
    Row(
        "duckdb-go",
        DUCKDB_MAIN,
        DUCKDB,
        run=(0, "duckdb 42"),
        strategy="external-static",
        # No musl archive: glibc's NSS stays, and DuckDB's extension loader calls dlopen.
        hazards=frozenset({"nss", "dlopen"}),
        words=("github.com/duckdb/duckdb-go-bindings",),
    ),
    Row(
        "purego",
        PUREGO_MAIN,
        PUREGO,
        run=(1, "dlopen failed"),  # static, and it cannot load libc in an empty root
        hazards=frozenset({"dlopen"}),
    ),
    Row(
        "purego-strict",
        PUREGO_MAIN,
        PUREGO,
        flags=("--strict",),
        status=3,
    ),
    Row(
        "libpng-pkg-config",
        PNG_MAIN,
        None,
        run=(0, "libpng 1."),
        strategy="external-static",
        plain_first=True,
    ),
)


class Built(NamedTuple):
    mod: Path
    status: int
    result: dict[str, Any]
    stderr: str


def _module(root: Path, main: str, requirement: str | None) -> Path:
    mod = write_module(root, {"main.go": main})
    if requirement is None:
        return mod
    got = subprocess.run(
        ["go", "get", requirement], cwd=mod, capture_output=True, text=True, check=False
    )
    if got.returncode != 0:
        pytest.skip(f"cannot fetch {requirement} through the Go module proxy: {got.stderr}")
    return mod


def _build(
    mod: Path, cache: Path, *extra: str, out: str = "app"
) -> tuple[int, dict[str, Any], str]:
    # The default, shared GOCACHE: each C compile (SQLite's ~60-100 s) happens once.
    env = {**os.environ, "GOSTATIC_CACHE_DIR": str(cache)}
    run = run_gostatic(["build", "--json", *extra, "-o", out, "."], mod, env, timeout=900)
    [result] = json.loads(run.stdout)["results"]
    return run.returncode, result, run.stderr


def _build_row(row: Row, root: Path) -> Built:
    if row.needs_musl and MUSL_GCC is None:
        pytest.skip("musl-gcc missing: apt-get install musl-tools")
    mod = _module(root / "m", row.main, row.requirement)
    if row.plain_first:
        subprocess.run(["go", "build", "-o", "plain", "."], cwd=mod, check=True, timeout=600)
    status, result, stderr = _build(mod, root / "cache", *row.flags)
    return Built(mod, status, result, stderr)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Row], Built]:
    """Each row built once per test session (per worker under xdist)."""
    done: dict[str, Built] = {}

    def get(row: Row) -> Built:
        if row.id not in done:
            done[row.id] = _build_row(row, tmp_path_factory.mktemp(row.id))
        return done[row.id]

    return get


def _rows() -> list[Any]:
    return [
        pytest.param(row, id=row.id, marks=[requires_libpng] if row.requirement is None else [])
        for row in ROWS
    ]


@pytest.mark.parametrize("row", _rows())
def test_row_builds_static_and_runs(
    row: Row, built: Callable[[Row], Built], tmp_path: Path
) -> None:
    done = built(row)
    assert done.status == row.status, done.stderr
    if row.status != 0:
        assert not (done.mod / "app").exists()
        return
    assert_static_by_readelf(done.mod / "app")
    ran = run_in_empty_root(done.mod / "app", tmp_path / "root")
    status, start = row.run
    assert (ran.returncode, ran.stdout.startswith(start)) == (status, True), ran.stdout + ran.stderr


@pytest.mark.parametrize("row", [p for p in _rows() if p.values[0].status == 0])
def test_row_reports_strategy_and_hazards(row: Row, built: Callable[[Row], Built]) -> None:
    if row.id == "confluent-kafka-go" and MUSL_GCC is None:
        pytest.skip("musl-gcc missing: apt-get install musl-tools")
    result = built(row).result
    if row.strategy is not None:
        assert result["strategy"] == row.strategy, result["attempts"]
    assert {h["kind"] for h in result["hazards"]} == row.hazards, result["hazards"]
    details = " ".join(h["detail"] for h in result["hazards"])
    assert all(word in details for word in row.words), details


def _row(row_id: str) -> Row:
    return next(r for r in ROWS if r.id == row_id)


def _symbols(binary: Path) -> str:
    return subprocess.run(
        ["readelf", "-sW", str(binary)], capture_output=True, text=True, check=True
    ).stdout


def test_the_sqlite_remedy_leaves_the_extension_loader_out(
    built: Callable[[Row], Built],
) -> None:
    """The oracle for the remedy a hazard names: SQLite's unixDlOpen (its dlopen caller)
    is linked by default and not with the tag, by the symbol table."""
    default = built(_row("go-sqlite3")).mod / "app"
    omitted = built(_row("go-sqlite3-omit-load-extension")).mod / "app"
    assert " unixDlOpen" in _symbols(default)
    assert " unixDlOpen" not in _symbols(omitted)


@pytest.fixture(scope="module")
def sqlite(built: Callable[[Row], Built]) -> tuple[Path, dict[str, Any]]:
    done = built(_row("go-sqlite3"))
    assert done.status == 0, done.stderr
    return done.mod, done.result


def test_go_sqlite3_is_not_the_cgo_stub(sqlite: tuple[Path, dict[str, Any]]) -> None:
    _, result = sqlite
    # The import graph names go-sqlite3 a cgo package without a pure-Go fallback: no
    # CGO_ENABLED=0 build is taken (nor, predicted external-static first, even tried).
    assert not any(
        a["strategy"] == "cgo-off" and a["outcome"] == "static" for a in result["attempts"]
    )
    assert "cgo-stub" not in {h["kind"] for h in result["hazards"]}


def test_with_cgo_enabled_0_the_stub_is_not_built(
    sqlite: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """With CGO_ENABLED=0 set by the user, plain would compile the stub: it is skipped,
    in go-sqlite3's own words, and no rung turns cgo on against the user's setting."""
    mod, _ = sqlite
    wrapper, log = logging_go(tmp_path)
    env = {
        **os.environ,
        "GOSTATIC_CACHE_DIR": str(tmp_path / "cache"),
        "CGO_ENABLED": "0",
        "GOSTATIC_GO": str(wrapper),
    }
    run = run_gostatic(["build", "--json", "-o", "stubbed", "."], mod, env, timeout=900)
    assert run.returncode == 3, run.stderr
    [result] = json.loads(run.stdout)["results"]
    attempts = {a["strategy"]: a for a in result["attempts"]}
    assert {a["outcome"] for a in attempts.values()} == {"skipped"}
    assert "go-sqlite3 requires cgo to work. This is a stub" in attempts["plain"]["detail"]
    assert attempts["external-static"]["detail"].startswith("CGO_ENABLED=0 is set")
    assert go_builds(logged_go_calls(log)) == []
    assert not (mod / "stubbed").exists()


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
    status, result, _ = _build(mod, tmp_path / "cache", "--strategy", "cgo-off", out="off")
    assert status == 3
    assert result["static"] is False
    assert not (mod / "off").exists()


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
