"""A program that imports plugin is refused, and built only when forced, loudly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import (
    assert_static_by_readelf,
    requires_go,
    run_gostatic,
    run_in_empty_root,
    write_module,
)

pytestmark = [pytest.mark.slow, requires_go]

PLUGIN_USER = """package main

import (
	"fmt"
	"plugin"
)

func main() {
	_, err := plugin.Open("/extension.so")
	fmt.Println("open failed:", err != nil)
}
"""


@pytest.fixture
def mod(tmp_path: Path) -> Path:
    return write_module(tmp_path / "plug", {"cmd/host/main.go": PLUGIN_USER})


def test_plugin_user_is_refused_with_the_reason(mod: Path, gostatic_env: dict[str, str]) -> None:
    run = run_gostatic(["build", "--json", "-o", "host", "./cmd/host"], mod, gostatic_env)
    assert run.returncode == 3
    [result] = json.loads(run.stdout)["results"]
    assert result["static"] is False and result["attempts"] == []
    [hazard] = result["hazards"]
    assert hazard["kind"] == "plugin"
    [line] = run.stderr.strip().splitlines()
    assert line.startswith('gostatic: example.com/m/cmd/host: imports "plugin"')
    assert "no dynamic loader" in line and "--strategy" in line
    assert not (mod / "host").exists()


def test_forced_strategy_builds_it_with_a_loud_warning(
    mod: Path, tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    run = run_gostatic(
        ["build", "--strategy", "external-static", "-o", "host", "./cmd/host"], mod, gostatic_env
    )
    assert run.returncode == 0, run.stderr
    assert "WILL FAIL AT RUN TIME" in run.stderr
    assert 'gostatic: warning: example.com/m/cmd/host imports "plugin"' in run.stderr
    assert_static_by_readelf(mod / "host")
    proc = run_in_empty_root(mod / "host", tmp_path / "root")
    assert proc.stdout == "open failed: true\n"
