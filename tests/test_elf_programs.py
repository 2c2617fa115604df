"""Programs, static PIEs and everything else: shared objects (gcc -shared, go's c-shared),
program header tables the kernel will not load, and the build modes gostatic refuses. The
oracles are readelf's own reading of the ELF type and the kernel's: running the file."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from gostatic.elf.facts import inspect_elf
from gostatic.errors import ElfError
from gostatic.incremental.recheck import still_static
from tests.support import (
    GO,
    SEED_FMT,
    logged_go_calls,
    logging_go,
    readelf_header,
    requires_go,
    run_gostatic,
    run_in_empty_root,
    write_module,
)

requires_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not on PATH")
requires_readelf = pytest.mark.skipif(shutil.which("readelf") is None, reason="no readelf")

LIB_C = "int add(int a, int b) { return a + b; }\n"
HELLO_C = '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n'
LIB_GO = """package main

import "C"

//export Add
func Add(a, b C.int) C.int { return a + b }

func main() {}
"""


def gcc(tmp: Path, name: str, source: str, *flags: str) -> Path:
    src = tmp / f"{name}.c"
    src.write_text(source)
    out = tmp / name
    subprocess.run(["gcc", *flags, "-o", str(out), str(src)], check=True, capture_output=True)
    return out


def kernel_runs(binary: Path, root: Path) -> bool:
    """Whether the kernel starts ``binary`` and it exits 0, in an empty root."""
    binary.chmod(0o755)
    try:
        return run_in_empty_root(binary, root).returncode == 0
    except OSError:
        return False


def verify_json(paths: list[Path], cwd: Path) -> tuple[int, list[dict[str, object]]]:
    env = dict(os.environ, GOSTATIC_CACHE_DIR=str(cwd / "cache"))
    run = run_gostatic(["verify", "--json", *map(str, paths)], cwd, env)
    assert "Traceback" not in run.stderr
    return run.returncode, json.loads(run.stdout)["files"]


@requires_gcc
@requires_readelf
@pytest.mark.parametrize(
    "flags",
    [
        ("-shared", "-fPIC"),
        ("-shared", "-fPIC", "-Wl,-soname,libadd.so.1"),
        ("-shared", "-fPIC", "-nostdlib"),
        ("-shared", "-fPIC", "-Wl,-e,add"),  # an entry point does not make it a program
    ],
)
def test_gcc_shared_objects_are_not_programs(tmp_path: Path, flags: tuple[str, ...]) -> None:
    lib = gcc(tmp_path, "libadd.so", LIB_C, *flags)
    assert readelf_header(lib)["Type"].startswith("DYN (Shared object")
    assert not kernel_runs(lib, tmp_path / "root")
    with pytest.raises(ElfError) as info:
        inspect_elf(lib)
    assert "not an executable (shared object" in info.value.message
    if "soname" in " ".join(flags):
        assert "libadd.so.1" in info.value.message
    status, [doc] = verify_json([lib], tmp_path)
    assert status == 2
    assert doc["kind"] == "error" and "shared object" in str(doc["error"])


# The fast path's re-check (gostatic.incremental.recheck) must say no wherever the full
# reading does.


@requires_gcc
def test_recheck_says_no_to_a_shared_object(tmp_path: Path) -> None:
    assert not still_static(str(gcc(tmp_path, "libadd.so", LIB_C, "-shared", "-fPIC")))


@pytest.mark.slow
def test_recheck_says_no_to_a_program_without_an_entry_point(
    go_hello: Path, tmp_path: Path
) -> None:
    data = bytearray(go_hello.read_bytes())
    struct.pack_into("<Q", data, 0x18, 0)  # e_entry
    crafted = tmp_path / "crafted"
    crafted.write_bytes(bytes(data))
    assert not still_static(str(crafted))


@requires_gcc
@requires_readelf
def test_gcc_static_pie_is_a_static_pie(tmp_path: Path) -> None:
    exe = gcc(tmp_path, "hello", HELLO_C, "-static-pie")
    assert readelf_header(exe)["Type"].startswith("DYN (Position-Independent Executable")
    assert kernel_runs(exe, tmp_path / "root")
    assert inspect_elf(exe).kind == "static-pie"


@requires_go
@requires_gcc
@pytest.mark.slow
@pytest.mark.parametrize("mode", ["c-shared", "plugin"])
def test_go_shared_objects_are_not_programs(tmp_path: Path, mode: str) -> None:
    src = write_module(tmp_path / "src", {"main.go": LIB_GO})
    out = tmp_path / "lib.so"
    assert GO is not None
    subprocess.run(
        [GO, "build", f"-buildmode={mode}", "-o", str(out), "."],
        cwd=src, env=dict(os.environ, CGO_ENABLED="1"), check=True, capture_output=True,
    )  # fmt: skip
    with pytest.raises(ElfError) as info:
        inspect_elf(out)
    assert "not an executable (shared object" in info.value.message


@pytest.fixture(scope="module")
def go_hello(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if GO is None:
        pytest.skip("go is not on PATH")
    root = tmp_path_factory.mktemp("hello")
    src = write_module(root / "src", {"main.go": SEED_FMT})
    out = root / "hello"
    subprocess.run(
        [GO, "build", "-o", str(out), "."],
        cwd=src, env=dict(os.environ, CGO_ENABLED="0"), check=True, capture_output=True,
    )  # fmt: skip
    return out


@pytest.mark.slow
@pytest.mark.parametrize("phnum", [0, 0xFFFF])
def test_a_program_header_count_the_kernel_refuses(
    go_hello: Path, tmp_path: Path, phnum: int
) -> None:
    data = bytearray(go_hello.read_bytes())
    assert data[4] == 2 and data[5] == 1, "test assumes a little-endian 64-bit ELF"
    struct.pack_into("<H", data, 0x38, phnum)  # e_phnum
    crafted = tmp_path / "crafted"
    crafted.write_bytes(bytes(data))
    assert kernel_runs(go_hello, tmp_path / "intact")  # the oracle can tell
    assert not kernel_runs(crafted, tmp_path / "root")
    with pytest.raises(ElfError) as info:
        inspect_elf(crafted)
    assert f"e_phnum {phnum:#x}" in info.value.message
    assert not still_static(str(crafted))
    status, [doc] = verify_json([crafted], tmp_path)
    assert (status, doc["kind"]) == (2, "error")


@pytest.mark.slow
def test_no_entry_point_is_not_a_program(go_hello: Path, tmp_path: Path) -> None:
    data = bytearray(go_hello.read_bytes())
    struct.pack_into("<Q", data, 0x18, 0)  # e_entry
    crafted = tmp_path / "crafted"
    crafted.write_bytes(bytes(data))
    assert not kernel_runs(crafted, tmp_path / "root")
    with pytest.raises(ElfError, match="no entry point"):
        inspect_elf(crafted)


@requires_go
@pytest.mark.slow
@pytest.mark.parametrize("mode", ["c-shared", "c-archive", "plugin", "shared", "archive"])
def test_build_refuses_modes_without_an_executable_before_go_runs(
    tmp_path: Path, gostatic_env: dict[str, str], mode: str
) -> None:
    src = write_module(tmp_path / "src", {"main.go": LIB_GO})
    go, log = logging_go(tmp_path)
    env = {**gostatic_env, "GOSTATIC_GO": str(go)}
    run = run_gostatic(["build", f"-buildmode={mode}", "-o", "out", "."], src, env)
    assert run.returncode == 2, run.stderr
    assert f"-buildmode={mode} builds" in run.stderr
    assert "Traceback" not in run.stderr
    assert logged_go_calls(log) == []
    assert not (src / "out").exists()
