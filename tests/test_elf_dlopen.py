"""dlopen read from the binary, not from the imports: C code in a cgo preamble that calls it
(static glibc, static PIE, static musl) and github.com/ebitengine/purego. The oracle owes
nothing to gostatic: each probe, run in an empty root, fails to load what loads on the host."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from gostatic.elf.facts import inspect_elf
from gostatic.incremental.recheck import still_static
from tests.support import (
    GO,
    MUSL_GCC,
    marked,
    requires_go,
    requires_musl,
    run_in_empty_root,
    write_module,
)

pytestmark = [
    pytest.mark.slow,
    requires_go,
    pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not on PATH"),
]

C_DLOPEN = """package main

/*
#include <dlfcn.h>
#include <stddef.h>

static int load(void) {
	return dlopen("libm.so.6", RTLD_NOW) != NULL;
}
*/
import "C"
import (
	"fmt"
	"os"
)

func main() {
	if C.load() == 0 {
		fmt.Println("libm.so.6 did not load")
		os.Exit(1)
	}
	fmt.Println("loaded")
}
"""

C_NO_DLOPEN = """package main

// static int add(int a, int b) { return a + b; }
import "C"
import "fmt"

func main() { fmt.Println(C.add(1, 2)) }
"""

PUREGO = """package main

import (
	"fmt"
	"os"

	"github.com/ebitengine/purego"
)

func main() {
	if _, err := purego.Dlopen("libm.so.6", purego.RTLD_NOW); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("loaded")
}
"""

STATIC = ["-tags", "netgo,osusergo", "-ldflags", "-linkmode=external -extldflags=-static"]
STATIC_PIE = [
    "-tags",
    "netgo,osusergo",
    "-buildmode=pie",
    "-ldflags",
    "-linkmode=external -extldflags=-static-pie",
]


def go_build(src: Path, out: Path, flags: list[str], **env: str) -> Path:
    assert GO is not None
    run_env = dict(os.environ, CGO_ENABLED="1", GOTOOLCHAIN="local", GOWORK="off", **env)
    subprocess.run(
        [GO, "build", "-o", str(out), *flags, "."],
        cwd=src, env=run_env, check=True, capture_output=True,
    )  # fmt: skip
    return out


def dlopen_details(binary: Path) -> list[str]:
    facts = inspect_elf(binary)
    assert facts.is_static
    return [h.detail for h in facts.hazards if h.kind == "dlopen"]


@pytest.mark.parametrize("flags", [STATIC, STATIC_PIE], ids=["static", "static-pie"])
def test_c_code_calling_dlopen_is_a_hazard(tmp_path: Path, flags: list[str]) -> None:
    src = write_module(tmp_path / "src", {"main.go": C_DLOPEN})
    binary = go_build(src, tmp_path / "prog", flags)
    # The oracle: libm loads on the host, and not in an empty root.
    assert subprocess.run([str(binary)], capture_output=True, check=False).returncode == 0
    assert run_in_empty_root(binary, tmp_path / "root").returncode == 1
    (detail,) = dlopen_details(binary)
    assert detail.startswith("C code of Go package main (C.load) calls dlopen")


def test_c_code_without_dlopen_is_not(tmp_path: Path) -> None:
    # Static glibc links its dlopen into every program; only a caller counts.
    src = write_module(tmp_path / "src", {"main.go": C_NO_DLOPEN})
    binary = go_build(src, tmp_path / "prog", STATIC)
    assert run_in_empty_root(binary, tmp_path / "root").returncode == 0
    assert dlopen_details(binary) == []


def test_recheck_says_no_to_c_code_calling_dlopen(tmp_path: Path) -> None:
    src = write_module(tmp_path / "src", {"main.go": C_DLOPEN})
    assert not still_static(str(go_build(src, tmp_path / "prog", STATIC)))


@marked(requires_musl)
def test_c_code_calling_dlopen_with_musl(tmp_path: Path) -> None:
    assert MUSL_GCC is not None
    src = write_module(tmp_path / "src", {"main.go": C_DLOPEN})
    stripped = ["-ldflags", "-s -w -linkmode=external -extldflags=-static"]
    binary = go_build(src, tmp_path / "prog", ["-tags", "netgo,osusergo", *stripped], CC=MUSL_GCC)
    assert run_in_empty_root(binary, tmp_path / "root").returncode == 1
    assert any("Dynamic loading not supported" in d for d in dlopen_details(binary))
    assert not still_static(str(binary))  # a byte signature: the re-check sees it too


@pytest.fixture(scope="module")
def purego_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = write_module(tmp_path_factory.mktemp("purego"), {"main.go": PUREGO})
    assert GO is not None
    tidy = subprocess.run(
        [GO, "mod", "tidy"], cwd=src, capture_output=True, text=True, check=False,
        env=dict(os.environ, GOTOOLCHAIN="local", GOWORK="off"),
    )  # fmt: skip
    if tidy.returncode != 0:
        pytest.skip(f"github.com/ebitengine/purego is not available: {tidy.stderr.strip()}")
    return src


@pytest.mark.parametrize("strip", [False, True], ids=["symbols", "stripped"])
def test_purego_is_a_dlopen_hazard(purego_src: Path, tmp_path: Path, strip: bool) -> None:
    flags = list(STATIC)
    if strip:
        flags[-1] = "-s -w " + flags[-1]
    binary = go_build(purego_src, tmp_path / "prog", flags)
    assert subprocess.run([str(binary)], capture_output=True, check=False).returncode == 0
    assert run_in_empty_root(binary, tmp_path / "root").returncode == 1
    details = dlopen_details(binary)
    assert any("purego.Dlopen" in d for d in details)
    assert not still_static(str(binary))  # purego's name is a byte signature


def test_the_recheck_entry_point_sees_c_callers(tmp_path: Path) -> None:
    import mmap

    from gostatic.elf.scan import calls_dlopen_from_c

    with_call = write_module(tmp_path / "a", {"main.go": C_DLOPEN})
    without = write_module(tmp_path / "b", {"main.go": C_NO_DLOPEN})
    for src, expected in ((with_call, True), (without, False)):
        binary = go_build(src, tmp_path / f"prog-{expected}", STATIC)
        with binary.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            assert calls_dlopen_from_c(mm) is expected
