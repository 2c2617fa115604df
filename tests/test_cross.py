"""Cross targets: other GOARCHes proved static by the ELF reader (and run under qemu-user
where it is installed); non-ELF GOOSes refused with a clear word."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support import (
    QEMU_AARCH64,
    SEED_FMT,
    SEED_SYSLOG,
    assert_static_by_readelf,
    marked,
    readelf_header,
    requires_go,
    requires_qemu,
    run_gostatic,
    write_module,
)

pytestmark = [pytest.mark.slow, requires_go]


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cross")
    return write_module(root / "seed", {"fmt/main.go": SEED_FMT, "log-syslog/main.go": SEED_SYSLOG})


# GOARCH -> what binutils' readelf says about such a binary.
ARCHES = {
    "arm64": ("ELF64", "AArch64", "aarch64", 64),
    "386": ("ELF32", "Intel 80386", "i386", 32),
}


@pytest.mark.parametrize("goarch", sorted(ARCHES))
def test_pure_go_cross_build_is_static_for_the_target_machine(
    seed: Path, gostatic_env: dict[str, str], goarch: str
) -> None:
    env = {**gostatic_env, "GOOS": "linux", "GOARCH": goarch}
    run = run_gostatic(["build", "--json", "-o", f"bin/{goarch}", "./log-syslog"], seed, env)
    assert run.returncode == 0, run.stderr
    binary = seed / "bin" / goarch
    elf_class, readelf_machine, machine, bits = ARCHES[goarch]
    header = readelf_header(binary)
    assert (header["Class"], header["Machine"]) == (elf_class, readelf_machine)
    assert_static_by_readelf(binary)

    verify = run_gostatic(["verify", "--json", str(binary)], seed, gostatic_env)
    [facts] = json.loads(verify.stdout)["files"]
    assert (facts["kind"], facts["machine"], facts["class"]) == ("static", machine, bits)


@marked(requires_qemu)
def test_arm64_binary_runs_under_qemu(seed: Path, gostatic_env: dict[str, str]) -> None:
    env = {**gostatic_env, "GOOS": "linux", "GOARCH": "arm64"}
    run = run_gostatic(["build", "-o", "bin/fmt-arm64", "./fmt"], seed, env)
    assert run.returncode == 0, run.stderr
    assert QEMU_AARCH64 is not None
    proc = subprocess.run(
        [QEMU_AARCH64, str(seed / "bin" / "fmt-arm64")], capture_output=True, text=True, check=False
    )
    assert (proc.returncode, proc.stdout) == (0, "Hello 42!\n")


@pytest.mark.parametrize(("goos", "kind"), [("windows", "PE"), ("darwin", "Mach-O")])
def test_non_elf_target_says_static_verification_does_not_apply(
    seed: Path, gostatic_env: dict[str, str], goos: str, kind: str
) -> None:
    env = {**gostatic_env, "GOOS": goos, "GOARCH": "amd64"}
    run = run_gostatic(["build", "-o", "app", "./fmt"], seed, env)
    assert run.returncode == 2
    [line] = run.stderr.strip().splitlines()
    assert line.startswith(f"gostatic: GOOS={goos} produces {kind}")
    assert "static verification does not apply" in line
    assert not (seed / "app").exists()
