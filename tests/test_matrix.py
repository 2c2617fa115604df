"""`gostatic matrix`: the seed's experiment, held to the seed's table (docs/matrix.md)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from gostatic.errors import UsageError
from gostatic.matrix import Cell, MatrixReport, mode_named, parse_modes
from gostatic.report.matrix import write_matrix_text
from tests.support import (
    SEED_CGO,
    SEED_FMT,
    SEED_SYSLOG,
    requires_go,
    run_gostatic,
    write_module,
)

# docs/matrix.md's table: mode -> (static, dynamic); cgo does not build with cgo0.
SEED_TABLE = {
    "auto": ({"fmt"}, {"cgo", "log-syslog"}),
    "cgo0": ({"fmt", "log-syslog"}, set()),
    "cgo1": ({"fmt"}, {"cgo", "log-syslog"}),
    "dyn": (set(), {"cgo", "fmt", "log-syslog"}),
    "netgo": ({"fmt", "log-syslog"}, {"cgo"}),
}


@pytest.fixture(scope="module")
def seed_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed's layout: three programs as files side by side, built one file at a time."""
    return write_module(
        tmp_path_factory.mktemp("matrix") / "seed",
        {
            "cgo.go": SEED_CGO,
            "fmt.go": SEED_FMT,
            "log-syslog.go": SEED_SYSLOG,
            "cmd/fmt/main.go": SEED_FMT,
            "cmd/log-syslog/main.go": SEED_SYSLOG,
            "lib/lib.go": "package lib\n",
        },
    )


@pytest.mark.slow
@requires_go
def test_the_seeds_matrix_is_the_measured_table(
    seed_dir: Path, tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    run = run_gostatic(
        ["matrix", "--json", "cgo.go", "fmt.go", "log-syslog.go"],
        seed_dir,
        {**gostatic_env, "TMPDIR": str(tmp)},
    )
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["version"] == 1
    assert doc["modes"] == ["auto", "cgo0", "cgo1", "dyn", "netgo"]
    results = {(c["mode"], c["package"]): c["result"] for c in doc["cells"]}
    assert len(results) == len(doc["cells"]) == 15
    for mode, (static, dynamic) in SEED_TABLE.items():
        for name in ("cgo", "fmt", "log-syslog"):
            expected = (
                "static" if name in static else "dynamic" if name in dynamic else "build-failed"
            )
            assert results[(mode, f"{name}.go")] == expected, (mode, name)
    assert list(tmp.iterdir()) == []  # the binaries went with their temporary directory


@pytest.mark.slow
@requires_go
def test_text_table_with_strategy_modes_and_a_pattern(
    seed_dir: Path, gostatic_env: dict[str, str]
) -> None:
    run = run_gostatic(
        ["matrix", "--modes", "auto,strategy:netgo", "./cmd/..."], seed_dir, gostatic_env
    )
    assert run.returncode == 0, run.stderr
    rows = [line.split() for line in run.stdout.splitlines()]
    assert rows == [
        ["Type", "Static", "Dynamic", "Failed"],
        ["----", "------", "-------", "------"],
        ["auto", "fmt", "log-syslog", "-"],
        ["strategy:netgo", "fmt", "log-syslog", "-", "-"],
    ]


def test_text_table_lists_build_failures_with_gos_reason() -> None:
    report = MatrixReport(
        ("auto", "cgo0"),
        ("cgo.go", "fmt.go"),
        (
            Cell("auto", "cgo.go", "cgo", "dynamic", ""),
            Cell("auto", "fmt.go", "fmt", "static", ""),
            Cell("cgo0", "cgo.go", "cgo", "build-failed", "build constraints exclude all Go files"),
            Cell("cgo0", "fmt.go", "fmt", "static", ""),
        ),
    )
    out = io.StringIO()
    write_matrix_text(report, out)
    assert out.getvalue() == (
        "Type  Static  Dynamic  Failed\n"
        "----  ------  -------  ------\n"
        "auto  fmt     cgo      -\n"
        "cgo0  fmt     -        cgo\n"
        "\n"
        "cgo0 cgo: build constraints exclude all Go files\n"
    )


def test_seed_netgo_and_strategy_netgo_are_different_modes() -> None:
    assert mode_named("netgo").overlay.tags == ("netgo",)
    assert mode_named("strategy:netgo").overlay.tags == ("netgo", "osusergo")
    assert [m.name for m in parse_modes("dyn, auto,dyn")] == ["dyn", "auto"]
    assert [m.name for m in parse_modes(None)] == ["auto", "cgo0", "cgo1", "dyn", "netgo"]


@pytest.mark.parametrize(
    ("modes", "message"),
    [
        ("cgo-off", "the strategy is strategy:cgo-off"),
        ("strategy:-ldflags=-evil", "unknown mode"),
        (",", "names no mode"),
    ],
)
def test_bad_modes_are_usage_errors(modes: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_modes(modes)


@requires_go
@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["--modes", "static", "fmt.go"], 2, "unknown mode 'static'"),
        (["./lib"], 2, "no main package"),
        (["missing.go"], 2, "missing.go: no such file"),
        (["./missing"], 1, "missing"),
    ],
)
def test_matrix_errors_are_one_line(
    seed_dir: Path, gostatic_env: dict[str, str], args: list[str], status: int, message: str
) -> None:
    run = run_gostatic(["matrix", *args], seed_dir, gostatic_env)
    assert run.returncode == status, run.stderr
    [line] = run.stderr.strip().splitlines()
    assert line.startswith("gostatic: ") and message in line


@requires_go
def test_a_non_elf_target_is_refused_with_builds_words(
    seed_dir: Path, gostatic_env: dict[str, str]
) -> None:
    for command in (["matrix", "fmt.go"], ["build", "-o", "app", "./cmd/fmt"]):
        run = run_gostatic(command, seed_dir, {**gostatic_env, "GOOS": "windows"})
        assert run.returncode == 2, run.stderr
        [line] = run.stderr.strip().splitlines()
        assert "GOOS=windows produces PE (Windows) binaries, not ELF" in line, command
