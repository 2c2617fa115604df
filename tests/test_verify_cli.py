"""`gostatic verify` and `build --strict` as a user runs them: exit statuses, table, JSON."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support import SEED_FMT, requires_go, run_gostatic, write_module

pytestmark = [pytest.mark.slow, requires_go]

NSS_C = """#include <pwd.h>
#include <stdio.h>
int main(void) { struct passwd *p = getpwnam("root"); printf("%d\\n", p != 0); return 0; }
"""

CGO_NSS = """package main

// #include <pwd.h>
// #include <stddef.h>
// static int has_root(void) { return getpwnam("root") != NULL; }
import "C"
import "fmt"

func main() { fmt.Println(C.has_root()) }
"""


@pytest.fixture(scope="module")
def binaries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("verify")
    mod = write_module(root / "m", {"main.go": SEED_FMT})
    static = root / "static-go"
    env = {**os.environ, "CGO_ENABLED": "0"}
    subprocess.run(["go", "build", "-o", str(static), "."], cwd=mod, check=True, env=env)
    dynamic = root / "dynamic-c"
    nss = root / "nss-static"
    (root / "nss.c").write_text(NSS_C)
    subprocess.run(["gcc", "-o", str(dynamic), str(root / "nss.c")], check=True)
    subprocess.run(
        ["gcc", "-static", "-o", str(nss), str(root / "nss.c")],
        check=True,
        capture_output=True,  # the linker's NSS warning is expected
    )
    text = root / "notes.txt"
    text.write_text("not a program\n")
    return {"static": static, "dynamic": dynamic, "nss": nss, "text": text, "dir": root}


def test_static_exits_0(binaries: dict[str, Path], gostatic_env: dict[str, str]) -> None:
    run = run_gostatic(["verify", str(binaries["static"])], binaries["dir"], gostatic_env)
    assert run.returncode == 0, run.stderr
    assert " static " in run.stdout


def test_dynamic_exits_1_and_names_what_it_needs(
    binaries: dict[str, Path], gostatic_env: dict[str, str]
) -> None:
    run = run_gostatic(
        ["verify", str(binaries["static"]), str(binaries["dynamic"])],
        binaries["dir"],
        gostatic_env,
    )
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    assert lines[0].split() == ["FILE", "KIND", "MACHINE", "GO", "NOTES"]
    assert len(lines) == 3
    assert "libc.so.6" in lines[2] and "dynamic" in lines[2]


def test_unreadable_files_exit_2_and_the_others_are_still_reported(
    binaries: dict[str, Path], gostatic_env: dict[str, str]
) -> None:
    missing = binaries["dir"] / "missing"
    run = run_gostatic(
        [
            "verify",
            str(binaries["text"]),
            str(binaries["static"]),
            str(missing),
            str(binaries["dir"]),
        ],
        binaries["dir"],
        gostatic_env,
    )
    assert run.returncode == 2
    errors = run.stderr.strip().splitlines()
    assert errors == [
        f"gostatic: {binaries['text']}: not an ELF file",
        f"gostatic: {missing}: no such file",
        f"gostatic: {binaries['dir']}: is a directory",
    ]
    assert str(binaries["static"]) in run.stdout
    assert "Traceback" not in run.stderr


def test_hazard_is_reported_and_fails_only_with_strict(
    binaries: dict[str, Path], gostatic_env: dict[str, str]
) -> None:
    nss = str(binaries["nss"])
    relaxed = run_gostatic(["verify", nss], binaries["dir"], gostatic_env)
    assert relaxed.returncode == 0
    assert "nss hazard" in relaxed.stdout
    strict = run_gostatic(["verify", "--strict", nss], binaries["dir"], gostatic_env)
    assert strict.returncode == 1


def test_json_has_the_documented_shape(
    binaries: dict[str, Path], gostatic_env: dict[str, str]
) -> None:
    run = run_gostatic(
        ["verify", "--json", str(binaries["static"]), str(binaries["nss"]), str(binaries["text"])],
        binaries["dir"],
        gostatic_env,
    )
    assert run.returncode == 2
    doc = json.loads(run.stdout)
    assert doc["version"] == 1
    keys = {"path", "kind", "interpreter", "needed", "machine", "class", "hazards", "needs"}
    keys |= {"go", "error"}
    assert all(set(f) == keys for f in doc["files"])
    go_file, nss_file, text_file = doc["files"]
    assert go_file["kind"] == "static" and go_file["go"]["path"] == "example.com/m"
    assert go_file["go"]["settings"]["CGO_ENABLED"] == "0"
    assert nss_file["go"] is None
    assert [h["kind"] for h in nss_file["hazards"]] == ["nss"]
    assert text_file["kind"] == "error" and "not an ELF file" in text_file["error"]


def test_build_strict_rejects_a_static_binary_with_nss(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed for cgo")
    mod = write_module(tmp_path / "nss", {"main.go": CGO_NSS})
    # Forced, because on the ladder a musl toolchain (where installed) would link it clean.
    forced = ["--strategy", "external-static"]
    relaxed = run_gostatic(["build", "--json", *forced, "-o", "relaxed", "."], mod, gostatic_env)
    assert relaxed.returncode == 0, relaxed.stderr
    [result] = json.loads(relaxed.stdout)["results"]
    assert result["strategy"] == "external-static"
    # From the binary, and from the static linker's warning that names the caller.
    assert {h["kind"] for h in result["hazards"]} == {"nss"}
    assert "nss hazard" in relaxed.stderr

    strict = run_gostatic(
        ["build", "--json", "--strict", *forced, "-o", "strict", "."], mod, gostatic_env
    )
    assert strict.returncode == 3
    [result] = json.loads(strict.stdout)["results"]
    assert result["static"] is False
    # The cache makes external-static the first rung now, not the last: look at them all.
    assert any("rejected by --strict" in a["detail"] for a in result["attempts"])
    assert not (mod / "strict").exists()
