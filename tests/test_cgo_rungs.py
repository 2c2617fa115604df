"""The climb wired to the cgo analysis (issue 15 items 1-7, issue 14 item 18): a failed
rung says the linker's reason; the static linker's warnings are hazards that an up-to-date
build still reports; no rung turns cgo on against the user's CGO_ENABLED=0, nor builds
with cgo off a package the graph says would be a stub; builds that cannot win are not
run; the musl rungs set the musl tag.

Real programs built in tmp_path; go's work is counted with the logging go of
tests.support; the oracles are readelf, a run in an empty root, and go's own output.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support import (
    GO,
    assert_static_by_readelf,
    go_builds,
    logged_go_calls,
    logging_go,
    marked,
    readelf_facts,
    requires_go,
    requires_musl,
    run_gostatic,
    run_in_empty_root,
    write_module,
)

pytestmark = [pytest.mark.slow, requires_go]

# C code that needs a library Debian ships only as a shared object (libgcc_s).
SHARED_ONLY = """package main

// #cgo LDFLAGS: -lgcc_s
// int answer(void) { return 42; }
import "C"
import "fmt"

func main() { fmt.Println("answer", C.answer()) }
"""

# C code that looks a user up (glibc's static linker warns: NSS) and loads a library.
WARNED = """package main

/*
#include <dlfcn.h>
#include <pwd.h>
#include <stddef.h>

static int has_root(void) { return getpwnam("root") != NULL; }
static int loads(void) { return dlopen("libm.so.6", RTLD_NOW) != NULL; }
*/
import "C"
import "fmt"

func main() { fmt.Println("root", C.has_root(), "libm", C.loads()) }
"""

CGO_GETPWNAM = """package main

// #include <pwd.h>
// #include <stddef.h>
// static int has_root(void) { return getpwnam("root") != NULL; }
import "C"
import "fmt"

func main() { fmt.Printf("root known: %d\\n", C.has_root()) }
"""

# A cgo package with a stub for builds without cgo, as mattn/go-sqlite3 has.
STUBBED = {
    "sq/sq.go": """package sq

// int answer(void) { return 42; }
import "C"

func Answer() int { return int(C.answer()) }
""",
    "sq/sq_stub.go": """//go:build !cgo

package sq

func Answer() int { panic("sq requires cgo: built with CGO_ENABLED=0, this is a stub") }
""",
    "main.go": """package main

import (
	"fmt"

	"example.com/m/sq"
)

func main() { fmt.Println("answer", sq.Answer()) }
""",
}

MUSL_TAGGED = {
    "main.go": """package main

import "fmt"

// #include <stdlib.h>
// int one(void) { return abs(-1); }
import "C"

var libc = "glibc"

func main() { fmt.Println(libc, C.one()) }
""",
    "musl.go": """//go:build musl

package main

func init() { libc = "musl" }
""",
}


def _build(
    mod: Path, env: dict[str, str], *args: str, out: str = "app"
) -> tuple[int, dict[str, Any], str]:
    """gostatic build --json: its status, its one result, and its stderr."""
    run = run_gostatic(["build", "--json", *args, "-o", out, "."], mod, env)
    [result] = json.loads(run.stdout)["results"]
    return run.returncode, result, run.stderr


def _outcomes(result: dict[str, Any]) -> list[tuple[str, str]]:
    return [(a["strategy"], a["outcome"]) for a in result["attempts"]]


def _static_libgcc_s() -> bool:
    found = subprocess.run(
        ["gcc", "-print-file-name=libgcc_s.a"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return Path(found).is_absolute()


# --- item 1: a failed rung's detail is the linker's reason -----------------------------------


def test_a_failed_rung_says_what_the_linker_said(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    if _static_libgcc_s():
        pytest.skip("this C toolchain has a static libgcc_s: the external static link works")
    mod = write_module(tmp_path / "m", {"main.go": SHARED_ONLY})
    status, result, _ = _build(mod, gostatic_env, "--strategy", "external-static")
    assert status == 3
    [attempt] = result["attempts"]
    assert attempt["outcome"] == "build-failed"
    summary, *lines = attempt["detail"].splitlines()
    # go's own first line would be "link: running gcc failed: exit status 1".
    assert summary.startswith("no static archive libgcc_s.a for -lgcc_s"), summary
    if shutil.which("dpkg-query"):
        assert "only the shared library is installed" in summary and "package " in summary
    assert any("cannot find -lgcc_s" in line for line in lines), lines

    text = run_gostatic(
        ["build", "--strategy", "external-static", "-o", "app", "."], mod, gostatic_env
    )
    assert text.returncode == 3
    assert f"build-failed  {summary}\n" in text.stderr
    # The linker's own line follows, indented under the summary.
    assert any(
        line.startswith(" " * 33) and "cannot find -lgcc_s" in line
        for line in text.stderr.splitlines()
    ), text.stderr
    assert not (mod / "app").exists()


# --- item 2: the static linker's warnings are hazards, kept with the binary -------------------


def test_linker_warnings_are_hazards_that_an_up_to_date_build_still_reports(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    mod = write_module(tmp_path / "m", {"main.go": WARNED})
    forced = ("--strategy", "external-static")  # the glibc link, whatever musl does
    status, first, stderr = _build(mod, gostatic_env, *forced)
    assert status == 0, stderr
    assert_static_by_readelf(mod / "app")
    warned = {h["kind"]: h["detail"] for h in first["hazards"] if "linker's warning" in h["detail"]}
    assert set(warned) == {"nss", "dlopen"}, first["hazards"]
    assert warned["nss"].startswith("example.com/m (main.go) calls getpwnam")
    assert warned["dlopen"].startswith("example.com/m (main.go) calls dlopen")
    assert "a musl toolchain" in warned["nss"]  # the remedy
    assert "remedy" not in warned["dlopen"]

    # Up to date: go links nothing and says nothing; the stamp keeps what the linker said,
    # on the fast path and on the full path (--no-cache takes no plan).
    for extra in ((), ("--no-cache",)):
        status, again, stderr = _build(mod, gostatic_env, *forced, *extra)
        assert status == 0, stderr
        assert again["hazards"] == first["hazards"]
        assert [a["detail"] for a in again["attempts"]][-1].startswith("up to date") or extra, (
            again["attempts"]
        )

    text = run_gostatic(["build", *forced, "-o", "app", "."], mod, gostatic_env)
    assert "warning: example.com/m: nss hazard: example.com/m (main.go) calls getpwnam" in (
        text.stderr
    )


def test_a_binary_refused_for_its_hazards_is_relinked_next_time(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    """A rejected stage binary is not kept: rebuilt up to date, go would say nothing, and
    the linker's warnings would be lost."""
    mod = write_module(tmp_path / "m", {"main.go": WARNED})
    forced = ("--strategy", "external-static")
    status, refused, _ = _build(mod, gostatic_env, "--strict", *forced)
    assert status == 3
    assert refused["attempts"][0]["detail"].startswith("rejected by --strict")
    status, result, stderr = _build(mod, gostatic_env, *forced)
    assert status == 0, stderr
    assert {h["kind"] for h in result["hazards"] if "linker's warning" in h["detail"]} == {
        "nss",
        "dlopen",
    }


# --- items 3 and 9: the user's CGO_ENABLED=0 -------------------------------------------------


def test_with_cgo_enabled_0_a_stub_is_never_built_nor_cgo_turned_on(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    mod = write_module(tmp_path / "m", STUBBED)
    # The oracle can fail: go builds the stub, and the ELF check passes it.
    stub = tmp_path / "stub"
    subprocess.run(
        [GO or "go", "build", "-o", str(stub), "."],
        cwd=mod, env={**os.environ, "CGO_ENABLED": "0"}, check=True,
    )  # fmt: skip
    assert readelf_facts(stub) == (False, [])
    assert subprocess.run([str(stub)], capture_output=True, check=False).returncode != 0

    wrapper, log = logging_go(tmp_path)
    env = {**gostatic_env, "CGO_ENABLED": "0", "GOSTATIC_GO": str(wrapper)}
    status, result, _ = _build(mod, env)
    assert status == 3
    attempts = {a["strategy"]: a for a in result["attempts"]}
    assert {a["outcome"] for a in attempts.values()} == {"skipped"}
    for rung in ("plain", "netgo", "cgo-off"):
        assert "without cgo example.com/m/sq compiles a stub" in attempts[rung]["detail"]
    assert attempts["external-static"]["detail"].startswith("CGO_ENABLED=0 is set")
    assert go_builds(logged_go_calls(log)) == []
    assert not (mod / "app").exists()


PUREGO_MAIN = """package main

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


@pytest.fixture(scope="module")
def purego_mod(tmp_path_factory: pytest.TempPathFactory) -> Path:
    mod = write_module(tmp_path_factory.mktemp("purego"), {"main.go": PUREGO_MAIN})
    tidy = subprocess.run(
        [GO or "go", "mod", "tidy"], cwd=mod, capture_output=True, text=True, check=False,
        env=dict(os.environ, GOTOOLCHAIN="local", GOWORK="off"),
    )  # fmt: skip
    if tidy.returncode != 0:
        pytest.skip(f"github.com/ebitengine/purego is not available: {tidy.stderr.strip()}")
    return mod


def test_purego_with_cgo_enabled_0_is_not_built_with_cgo(
    purego_mod: Path, tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    wrapper, log = logging_go(tmp_path)
    env = {**gostatic_env, "CGO_ENABLED": "0", "GOSTATIC_GO": str(wrapper)}
    status, result, _ = _build(purego_mod, env, out=str(tmp_path / "app"))
    assert status == 3
    outcomes = dict(_outcomes(result))
    # purego without cgo asks the Go linker for libc: dynamic, as go's own build is; its
    # own code for builds without cgo is no stub (its fakecgo import is no message).
    assert outcomes["plain"] == "dynamic"
    assert outcomes["cgo-off"] == "skipped"  # the same build as plain
    for rung in ("external-static", "musl-static", "zig-static"):
        assert outcomes.get(rung, "skipped") == "skipped"
    skipped = {a["strategy"]: a["detail"] for a in result["attempts"]}
    assert skipped["cgo-off"] == "same build as plain"
    assert skipped["external-static"].startswith("CGO_ENABLED=0 is set")
    assert all(c.startswith("CGO_ENABLED=0 ") for c in go_builds(logged_go_calls(log)))
    assert not (tmp_path / "app").exists()

    explained = run_gostatic(["explain", "."], purego_mod, env)
    assert explained.returncode == 0, explained.stderr
    assert "github.com/ebitengine/purego loads shared libraries at run time" in explained.stdout
    assert "a plain build is static" not in explained.stdout
    assert "prediction: none" in explained.stdout


def test_strict_refuses_purego_on_the_full_and_the_fast_path(
    purego_mod: Path, tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    mod = tmp_path / "m"
    shutil.copytree(purego_mod, mod)
    loader = (mod / "main.go").read_text()
    # First a clean cgo program, proved static under --strict: its plan and stamp let the
    # next build take the fast path.
    (mod / "main.go").write_text(MUSL_TAGGED["main.go"])
    (mod / "go.mod").write_text("module example.com/m\n\ngo 1.21\n")
    status, result, stderr = _build(mod, gostatic_env, "--strict")
    assert status == 0, stderr
    strategy = result["strategy"]
    before = (mod / "app").read_bytes()

    # Now it loads libraries through purego: the fast path relinks the proved strategy,
    # the re-check finds purego, the full path refuses every static result.
    shutil.copy(purego_mod / "go.mod", mod / "go.mod")
    shutil.copy(purego_mod / "go.sum", mod / "go.sum")
    (mod / "main.go").write_text(loader)
    status, result, _ = _build(mod, gostatic_env, "--strict")
    assert status == 3
    tried = {a["strategy"]: a for a in result["attempts"]}
    assert tried[strategy]["detail"].startswith("rejected by --strict: dlopen")
    assert (mod / "app").read_bytes() == before  # nothing written

    # And without --strict: static, with the hazard.
    status, result, stderr = _build(mod, gostatic_env)
    assert status == 0, stderr
    assert "dlopen" in {h["kind"] for h in result["hazards"]}


# --- item 4: the musl tag ---------------------------------------------------------------------


@marked(requires_musl)
def test_the_musl_rung_sets_the_musl_tag(tmp_path: Path, gostatic_env: dict[str, str]) -> None:
    mod = write_module(tmp_path / "m", MUSL_TAGGED)
    status, _, stderr = _build(mod, gostatic_env, "--strategy", "musl-static")
    assert status == 0, stderr
    assert_static_by_readelf(mod / "app")
    ran = run_in_empty_root(mod / "app", tmp_path / "root")
    assert (ran.returncode, ran.stdout) == (0, "musl 1\n"), ran.stderr
    # The other rungs keep go's own tags.
    status, _, stderr = _build(mod, gostatic_env, "--strategy", "external-static")
    assert status == 0, stderr
    ran = run_in_empty_root(mod / "app", tmp_path / "root2")
    assert ran.stdout == "glibc 1\n", ran.stderr


# --- item 6: builds that cannot win are not run -----------------------------------------------


@marked(requires_musl)
def test_with_a_binary_held_for_nss_predicted_dynamic_rungs_are_not_built(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    mod = write_module(tmp_path / "m", {"main.go": CGO_GETPWNAM})
    wrapper, log = logging_go(tmp_path)
    env = {**gostatic_env, "GOSTATIC_GO": str(wrapper)}
    status, result, stderr = _build(mod, env)
    assert status == 0, stderr
    assert result["strategy"] == "musl-static"
    outcomes = _outcomes(result)
    assert outcomes[0] == ("external-static", "static")  # set aside for the nss hazard
    assert ("plain", "skipped") in outcomes and ("netgo", "skipped") in outcomes
    details = {a["strategy"]: a["detail"] for a in result["attempts"]}
    assert details["plain"].startswith("the import graph predicts a dynamic binary")
    builds = go_builds(logged_go_calls(log))
    assert len(builds) == 2, builds  # external-static, musl-static


def test_a_cross_build_with_cgo_builds_nothing_that_would_be_a_stub(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    """GOARCH=arm64 with the host's gcc: go turns cgo off, so plain, netgo and cgo-off
    would all build without cgo; the package's every Go file imports "C"."""
    mod = write_module(tmp_path / "m", {"main.go": CGO_GETPWNAM})
    # Without zig on the ladder nothing can link it: every rung must be skipped unbuilt.
    (mod / "gostatic.toml").write_text(
        'ladder = ["plain", "netgo", "cgo-off", "external-static", "musl-static"]\n'
    )
    wrapper, log = logging_go(tmp_path)
    env = {**gostatic_env, "GOARCH": "arm64", "GOSTATIC_GO": str(wrapper)}
    env.pop("CC", None)
    status, result, _ = _build(mod, env)
    assert status == 3
    assert {outcome for _, outcome in _outcomes(result)} == {"skipped"}
    details = {a["strategy"]: a["detail"] for a in result["attempts"]}
    for rung in ("plain", "netgo", "cgo-off"):
        assert "cannot be built without cgo" in details[rung], details[rung]
    assert go_builds(logged_go_calls(log)) == []


# --- item 7: the go list without cgo runs only when a refusal is at stake ---------------------


def test_the_listing_without_cgo_runs_only_for_a_rung_with_cgo_off(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    mod = write_module(tmp_path / "m", STUBBED)
    wrapper, log = logging_go(tmp_path)
    env = {**gostatic_env, "GOSTATIC_GO": str(wrapper)}
    status, result, stderr = _build(mod, env)
    assert (status, result["strategy"]) == (0, "external-static"), stderr
    lists = [c for c in logged_go_calls(log) if c.split(" ")[1] == "list"]
    assert len(lists) == 1 and not lists[0].startswith("CGO_ENABLED=0 "), lists

    status, result, _ = _build(mod, env, "--strategy", "cgo-off", out="off")
    assert status == 3
    lists = [c for c in logged_go_calls(log) if c.split(" ")[1] == "list"]
    assert [c.startswith("CGO_ENABLED=0 ") for c in lists] == [False, True], lists


def test_with_cgo_enabled_0_a_relink_that_brings_in_a_stub_is_refused(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    """The fast path cannot tell a stub from the binary: with the user's CGO_ENABLED=0 a
    relinked plain build goes to the full path, which judges it."""
    env = {**gostatic_env, "CGO_ENABLED": "0"}
    pure = 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("answer", 42) }\n'
    mod = write_module(tmp_path / "m", {**STUBBED, "main.go": pure})
    status, result, stderr = _build(mod, env)
    assert (status, result["strategy"]) == (0, "plain"), stderr
    before = (mod / "app").read_bytes()

    (mod / "main.go").write_text(STUBBED["main.go"])
    status, result, _ = _build(mod, env)
    assert status == 3
    assert "compiles a stub" in result["attempts"][0]["detail"]
    assert (mod / "app").read_bytes() == before
