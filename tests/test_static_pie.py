"""-buildmode=pie comes out as a static PIE: ELF type DYN, no PT_INTERP, no DT_NEEDED."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.support import (
    SEED_CGO,
    SEED_FMT,
    assert_static_by_readelf,
    readelf_facts,
    readelf_header,
    requires_go,
    run_gostatic,
    run_in_empty_root,
    write_module,
)

pytestmark = [pytest.mark.slow, requires_go]


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    return write_module(tmp_path / "seed", {"fmt/main.go": SEED_FMT, "cgo/main.go": SEED_CGO})


def test_gos_own_pie_has_an_interpreter(seed: Path, tmp_path: Path) -> None:
    """The oracle can fail: even CGO_ENABLED=0 gives a PIE that asks for the loader."""
    out = tmp_path / "pie"
    subprocess.run(
        ["go", "build", "-buildmode=pie", "-o", str(out), "./fmt"],
        cwd=seed,
        check=True,
        env={**os.environ, "CGO_ENABLED": "0"},
    )
    has_interp, _ = readelf_facts(out)
    assert has_interp


@pytest.mark.parametrize("program", ["fmt", "cgo"])
def test_buildmode_pie_gives_a_static_pie_that_runs_in_an_empty_root(
    seed: Path, tmp_path: Path, gostatic_env: dict[str, str], program: str
) -> None:
    if program == "fmt":
        args = ["build", "--json", "-buildmode=pie", "-o", "app", f"./{program}"]
        env = gostatic_env
    else:  # distributions set it in GOFLAGS: the same answer
        args = ["build", "--json", "-o", "app", f"./{program}"]
        env = {**gostatic_env, "GOFLAGS": "-buildvcs=false -buildmode=pie"}
    run = run_gostatic(args, seed, env)
    assert run.returncode == 0, run.stderr
    [result] = json.loads(run.stdout)["results"]
    assert result["strategy"] == "static-pie"
    skipped = {a["strategy"]: a["detail"] for a in result["attempts"] if a["outcome"] == "skipped"}
    assert set(skipped) == {"plain", "netgo", "cgo-off", "external-static"}
    assert all("-buildmode=pie" in why for why in skipped.values())

    binary = seed / "app"
    assert readelf_header(binary)["Type"].startswith("DYN")
    assert_static_by_readelf(binary)
    proc = run_in_empty_root(binary, tmp_path / "root")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "Hello 42!\n"

    verify = run_gostatic(["verify", "--json", "app"], seed, gostatic_env)
    assert json.loads(verify.stdout)["files"][0]["kind"] == "static-pie"
