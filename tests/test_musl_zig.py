"""Static cgo without glibc: musl-gcc where glibc's static link carries the NSS loader, zig
for any target (an arm64 cgo program here, run under qemu-user where installed)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support import (
    QEMU_AARCH64,
    SEED_CGO,
    assert_static_by_readelf,
    marked,
    readelf_header,
    requires_go,
    requires_musl,
    requires_qemu,
    requires_zig,
    run_gostatic,
    run_in_empty_root,
    write_module,
)

pytestmark = [pytest.mark.slow, requires_go]

# C code that looks a user up: linked statically against glibc it carries the NSS loader.
CGO_GETPWNAM = """package main

// #include <pwd.h>
// #include <stddef.h>
// static int has_root(void) { return getpwnam("root") != NULL; }
import "C"
import "fmt"

func main() { fmt.Printf("root known: %d\\n", C.has_root()) }
"""

NSS_LOADER = b"libnss_%s.so"  # glibc's NSS module name format, absent from musl


def _root_with_passwd(root: Path) -> Path:
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    return root


@marked(requires_musl)
def test_nss_hazard_on_glibc_sends_the_build_to_musl(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    mod = write_module(tmp_path / "nss", {"main.go": CGO_GETPWNAM})
    run = run_gostatic(["build", "--json", "-o", "app", "."], mod, gostatic_env)
    assert run.returncode == 0, run.stderr
    [result] = json.loads(run.stdout)["results"]
    assert result["strategy"] == "musl-static"
    assert result["hazards"] == []
    attempts = {a["strategy"]: a for a in result["attempts"]}
    assert attempts["external-static"]["detail"].startswith("set aside: nss hazard")

    binary = mod / "app"
    assert_static_by_readelf(binary)
    assert NSS_LOADER not in binary.read_bytes()
    proc = run_in_empty_root(binary, _root_with_passwd(tmp_path / "root"))
    assert (proc.returncode, proc.stdout) == (0, "root known: 1\n"), proc.stderr

    # The oracle can fail: glibc's static link of the same program carries the loader.
    glibc = run_gostatic(
        ["build", "--strategy", "external-static", "-o", "glibc", "."], mod, gostatic_env
    )
    assert glibc.returncode == 0, glibc.stderr
    assert NSS_LOADER in (mod / "glibc").read_bytes()


def test_the_set_aside_glibc_binary_is_installed_when_musl_cannot_link(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    # A musl-gcc that always fails, and a ladder without zig: the NSS-carrying glibc
    # binary is the only static result, so it is installed, with its hazard and a warning.
    tools = tmp_path / "tools"
    tools.mkdir()
    broken = tools / "musl-gcc"
    broken.write_text("#!/bin/sh\necho 'musl-gcc: broken on purpose' >&2\nexit 1\n")
    broken.chmod(0o755)
    env = {**gostatic_env, "PATH": f"{tools}{os.pathsep}{gostatic_env['PATH']}"}
    mod = write_module(tmp_path / "nss", {"main.go": CGO_GETPWNAM})
    (mod / "gostatic.toml").write_text('ladder = ["external-static", "musl-static"]\n')

    run = run_gostatic(["build", "--json", "-o", "app", "."], mod, env)
    assert run.returncode == 0, run.stderr
    [result] = json.loads(run.stdout)["results"]
    assert result["strategy"] == "external-static"
    # Read from the binary (glibc's NSS loader) and from the static linker's warning,
    # which names the C caller and the musl remedy.
    assert {h["kind"] for h in result["hazards"]} == {"nss"}
    details = " ".join(h["detail"] for h in result["hazards"])
    assert "example.com/m (main.go) calls getpwnam" in details and "musl" in details, details
    outcomes = [(a["strategy"], a["outcome"]) for a in result["attempts"]]
    assert outcomes == [("external-static", "static"), ("musl-static", "build-failed")]
    assert "nss hazard" in run.stderr
    assert_static_by_readelf(mod / "app")
    assert NSS_LOADER in (mod / "app").read_bytes()


@marked(requires_zig)
def test_zig_static_links_cgo_for_the_host(tmp_path: Path, gostatic_env: dict[str, str]) -> None:
    mod = write_module(tmp_path / "cgo", {"main.go": SEED_CGO})
    run = run_gostatic(
        ["build", "--json", "--strategy", "zig-static", "-o", "app", "."],
        mod,
        gostatic_env,
        timeout=900,  # zig builds musl for the target on its first use (~100 s)
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["results"][0]["strategy"] == "zig-static"
    assert_static_by_readelf(mod / "app")
    proc = run_in_empty_root(mod / "app", tmp_path / "root")
    assert (proc.returncode, proc.stdout) == (0, "Hello 42!\n"), proc.stderr


@pytest.fixture(scope="module")
def arm64_cgo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The seed's cgo program for GOARCH=arm64, through the whole ladder, built once."""
    root = tmp_path_factory.mktemp("arm64")
    mod = write_module(root / "cgo", {"main.go": SEED_CGO})
    env = {**os.environ, "GOSTATIC_CACHE_DIR": str(root / "cache"), "GOARCH": "arm64"}
    run = run_gostatic(["build", "--json", "-o", "app", "."], mod, env, timeout=900)
    assert run.returncode == 0, run.stderr
    [result] = json.loads(run.stdout)["results"]
    return mod / "app", result


@marked(requires_zig)
def test_arm64_cgo_program_comes_out_static_with_zig(
    arm64_cgo: tuple[Path, dict[str, Any]],
) -> None:
    binary, result = arm64_cgo
    assert result["strategy"] == "zig-static"
    outcomes = {a["strategy"]: a["outcome"] for a in result["attempts"]}
    assert outcomes["external-static"] == "skipped"  # the host's gcc cannot target arm64
    assert readelf_header(binary)["Machine"] == "AArch64"
    assert_static_by_readelf(binary)


@marked(requires_zig, requires_qemu)
def test_arm64_cgo_program_runs_under_qemu(arm64_cgo: tuple[Path, dict[str, Any]]) -> None:
    binary, _ = arm64_cgo
    assert QEMU_AARCH64 is not None
    proc = subprocess.run([QEMU_AARCH64, str(binary)], capture_output=True, text=True, check=False)
    assert (proc.returncode, proc.stdout) == (0, "Hello 42!\n"), proc.stderr


@marked(requires_zig, requires_qemu)
def test_smoke_run_of_the_arm64_binary_goes_through_qemu(
    arm64_cgo: tuple[Path, dict[str, Any]],
) -> None:
    from gostatic.smoke import run_in_empty_root as smoke_run

    result = smoke_run(arm64_cgo[0])
    assert (result.status, result.exit_status, result.stdout) == ("ran", 0, "Hello 42!\n")
    assert "qemu-aarch64-static" in result.detail


# A package that ships its own `ziglang`: go runs CC in the package directory, where
# `python -m ziglang` would import this instead of the installed one.
_FAKE_ZIGLANG_MAIN = """import pathlib
pathlib.Path(__file__).resolve().parent.parent.joinpath("{marker}").write_text("ran")
"""
_FAKE_ZIG = """#!/bin/sh
echo ran > "$(dirname "$0")/../{marker}"
exit 1
"""


@marked(requires_zig)
def test_zig_static_never_runs_a_ziglang_shipped_by_the_package(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    mod = write_module(
        tmp_path / "cgo",
        {
            "main.go": SEED_CGO,
            "ziglang/__init__.py": "",
            "ziglang/__main__.py": _FAKE_ZIGLANG_MAIN.format(marker="main-ran"),
            "ziglang/zig": _FAKE_ZIG.format(marker="zig-ran"),
        },
    )
    (mod / "ziglang" / "zig").chmod(0o755)
    run = run_gostatic(
        ["build", "--json", "--strategy", "zig-static", "-o", "app", "."],
        mod,
        gostatic_env,
        timeout=900,
    )
    assert not (mod / "main-ran").exists()
    assert not (mod / "zig-ran").exists()
    assert run.returncode == 0, run.stderr
    assert_static_by_readelf(mod / "app")
