"""gostatic.cgo.cgooff: what a cgo package becomes with CGO_ENABLED=0, said only as far as known.

Real tiny modules, listed by go with cgo on and off; each verdict is checked against what
the program built with CGO_ENABLED=0 really does (the oracle: it runs and answers, panics,
or does not build).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from gostatic.cgo.cgooff import (
    FIELDS,
    CgoOffVerdict,
    SourceFacts,
    cgo_off_refusal,
    judge,
    judge_all,
    read_listing,
    string_literals,
)
from gostatic.explain import CgoUse, analyse
from gostatic.go.packages import ListedPackage, PackageGraph
from tests.support import requires_go, run_gostatic, write_module

CGO_ADD = """package {pkg}

// int add(int a, int b) {{ return a + b; }}
import "C"

func Add(a, b int) int {{ return int(C.add(C.int(a), C.int(b))) }}
"""
NOCGO = """//go:build !cgo

package {pkg}

{body}
"""
MAIN = """package main

import (
	"fmt"

	"example.com/m/{pkg}"
)

func main() {{ fmt.Println("sum", {pkg}.Add(40, 2)) }}
"""
# go-ethereum's shape: crypto picks a cgo package or its own Go code by build constraint.
SIG_CGO = """//go:build cgo

package crypto

import "example.com/m/secp"

func Add(a, b int) int { return secp.Add(a, b) }
"""
SIG_NOCGO = """//go:build !cgo

package crypto

func Add(a, b int) int { return a + b }
"""
PARTIAL_PURE = """package partial

func Add(a, b int) int { return a + b }
"""
PARTIAL_CGO = """package partial

// int twice(int a) { return 2 * a; }
import "C"

func Twice(a int) int { return int(C.twice(C.int(a))) }
"""

CASES = {
    "real": {
        "real/add.go": CGO_ADD.format(pkg="real"),
        "real/add_nocgo.go": NOCGO.format(
            pkg="real", body="func Add(a, b int) int { return a + b }"
        ),
    },
    "stub": {
        "stub/add.go": CGO_ADD.format(pkg="stub"),
        "stub/add_nocgo.go": NOCGO.format(
            pkg="stub",
            body='func Add(a, b int) int {\n\tpanic("stub: built with CGO_ENABLED=0, needs cgo")\n}',  # noqa: E501
        ),
    },
    "errstub": {
        "errstub/add.go": CGO_ADD.format(pkg="errstub"),
        "errstub/add_nocgo.go": NOCGO.format(
            pkg="errstub",
            body='import "errors"\n\nvar ErrNoCgo = errors.New("errstub requires cgo")\n\n'
            "func Add(a, b int) int { panic(ErrNoCgo) }",
        ),
    },
    "nofile": {"nofile/add.go": CGO_ADD.format(pkg="nofile")},
    "crypto": {
        "secp/add.go": CGO_ADD.format(pkg="secp"),
        "crypto/sig_cgo.go": SIG_CGO,
        "crypto/sig_nocgo.go": SIG_NOCGO,
    },
    "partial": {"partial/add.go": PARTIAL_PURE, "partial/twice.go": PARTIAL_CGO},
}
EXPECTED = {
    "real": ("real", "real", "example.com/m/real has its own code for builds without cgo"),
    "stub": ("stub", "stub", "without cgo example.com/m/stub compiles a stub: add_nocgo.go says"),
    "errstub": ("errstub", "stub", 'add_nocgo.go says "errstub requires cgo"'),
    "nofile": (
        "nofile",
        "fails",
        'cannot be built without cgo: every Go file imports "C" (add.go)',
    ),
    "crypto": (
        "secp",
        "real",
        "example.com/m/secp is not linked without cgo; example.com/m/crypto has its own code",
    ),
    "partial": ("partial", "unknown", "leaves out its cgo files (twice.go) and keeps the rest"),
}


def _go(mod: Path, args: list[str], cgo: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CGO_ENABLED": cgo}
    return subprocess.run(
        ["go", *args], cwd=mod, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _listing(mod: Path, cgo: str) -> dict[str, SourceFacts]:
    listed = _go(mod, ["list", "-deps", "-e", f"-json={FIELDS}", "./cmd/app"], cgo)
    assert listed.returncode == 0, listed.stderr
    return read_listing(listed.stdout)


def _graph(listing: dict[str, SourceFacts]) -> PackageGraph:
    by_path = {
        path: ListedPackage(
            import_path=path,
            name="main" if path.endswith("/cmd/app") else path.rpartition("/")[2],
            dir=f.dir,
            module=None,
            error=f.error,
            imports=f.imports,
            uses_cgo=bool(f.cgo_files),
            standard="." not in path.partition("/")[0],
        )
        for path, f in listing.items()
    }
    return PackageGraph((by_path["example.com/m/cmd/app"],), by_path)


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[CgoOffVerdict, Path]]:
    verdicts = {}
    for case, files in CASES.items():
        pkg = EXPECTED[case][0] if case != "crypto" else "crypto"
        main = MAIN.format(pkg=pkg)
        mod = write_module(tmp_path_factory.mktemp(case), {**files, "cmd/app/main.go": main})
        on, off = _listing(mod, "1"), _listing(mod, "0")
        uses = analyse(_graph(on), "example.com/m/cmd/app").uses
        [use] = [u for u in uses if u.package != "runtime/cgo"]
        verdicts[case] = (judge(use, on, off), mod)
    return verdicts


@pytest.mark.slow
@requires_go
@pytest.mark.parametrize("case", list(CASES))
def test_verdicts_on_real_modules(judged: dict[str, tuple[CgoOffVerdict, Path]], case: str) -> None:
    verdict, _ = judged[case]
    package, expected, words = EXPECTED[case]
    assert verdict.package == f"example.com/m/{package}"
    assert verdict.verdict == expected, verdict.detail
    assert words in verdict.detail


@pytest.mark.slow
@requires_go
@pytest.mark.parametrize("case", list(CASES))
def test_the_verdict_is_what_the_build_without_cgo_does(
    judged: dict[str, tuple[CgoOffVerdict, Path]], case: str, tmp_path: Path
) -> None:
    """The oracle: the program built with CGO_ENABLED=0 and run."""
    verdict, mod = judged[case]
    app = tmp_path / "app"
    built = _go(mod, ["build", "-o", str(app), "./cmd/app"], "0")
    if verdict.verdict == "fails":
        assert built.returncode != 0
        return
    if case == "partial":  # unknown, and here it happens to work: Twice is never called
        assert built.returncode == 0, built.stderr
        return
    assert built.returncode == 0, built.stderr
    ran = subprocess.run([str(app)], capture_output=True, text=True, timeout=60, check=False)
    if verdict.verdict == "real":
        assert (ran.returncode, ran.stdout) == (0, "sum 42\n")
    else:
        assert ran.returncode != 0 and "cgo" in ran.stderr


@pytest.mark.slow
@requires_go
def test_refusal_says_stub_or_fail_only_when_true(
    judged: dict[str, tuple[CgoOffVerdict, Path]],
) -> None:
    real = [judged[c][0] for c in ("real", "crypto")]
    assert cgo_off_refusal(real) is None
    assert cgo_off_refusal([judged["partial"][0]], take_unknown=True) is None
    refusal = cgo_off_refusal([judged[c][0] for c in ("real", "stub", "nofile")])
    assert refusal is not None
    assert "compiles a stub" in refusal and "cannot be built without cgo" in refusal
    assert "example.com/m/real" not in refusal
    unknown = cgo_off_refusal([judged["partial"][0]])
    assert unknown is not None and "stub" not in unknown and "not known" in unknown


def test_standard_fallbacks_are_real_without_reading_anything() -> None:
    def unread(path: str) -> str:
        raise AssertionError(path)

    verdict = judge(CgoUse("net", ("example.com/m", "net"), "netgo"), {}, {}, unread)
    assert verdict.verdict == "real"
    assert judge_all([], {}, {}, unread) == ()


def test_a_package_go_list_cannot_read_is_unknown() -> None:
    off = {"x/y": SourceFacts("x/y", "/d", (), (), (), "no Go files in /d")}
    verdict = judge(CgoUse("x/y", ("m", "x/y"), "external-static"), {}, off)
    assert verdict.verdict == "unknown"
    assert "no Go files" in verdict.detail


def test_a_package_gone_from_every_importer_is_unknown() -> None:
    verdict = judge(CgoUse("x/y", ("m", "x/y"), "external-static"), {}, {})
    assert verdict == CgoOffVerdict("x/y", "unknown", "x/y is not linked without cgo", ())


@pytest.mark.parametrize(
    ("source", "literals"),
    [
        ('x := "a" + `b\nc`', ["a", "b\nc"]),
        ('x := "say \\"cgo\\""', ['say \\"cgo\\"']),
        ("// \"not a string\"\nx := 'q'", []),
        ('/* "nor this" */ y := "yes"', ["yes"]),
        ('x := \'"\'; y := "z"', ["z"]),
        ('x := "unterminated\ny := "next"', ["unterminated", "next"]),
    ],
)
def test_string_literals(source: str, literals: list[str]) -> None:
    assert list(string_literals(source)) == literals


def test_a_long_message_is_cut() -> None:
    source = 'var e = "requires cgo' + "!" * 300 + '"'
    off = {"p": SourceFacts("p", "/d", ("s.go",), (), (), None)}
    on = {"p": SourceFacts("p", "/d", (), ("c.go",), (), None)}
    verdict = judge(CgoUse("p", ("m", "p"), "external-static"), on, off, lambda _: source)
    assert verdict.verdict == "stub"
    assert len(verdict.detail) < 200 and verdict.detail.endswith('..."')


@pytest.mark.slow
@requires_go
def test_a_real_fallback_is_built_when_the_user_turns_cgo_off(
    judged: dict[str, tuple[CgoOffVerdict, Path]], gostatic_env: dict[str, str]
) -> None:
    """What docs/cannot-be-static.md tells a user to do for a package known to be complete
    without cgo: CGO_ENABLED=0 gostatic build."""
    _, mod = judged["real"]
    env = {**gostatic_env, "CGO_ENABLED": "0"}
    run = run_gostatic(["build", "--json", "-o", "off", "./cmd/app"], mod, env)
    assert run.returncode == 0, run.stderr
    [result] = json.loads(run.stdout)["results"]
    assert result["strategy"] == "plain"
    ran = subprocess.run([str(mod / "off")], capture_output=True, text=True, check=False)
    assert (ran.returncode, ran.stdout) == (0, "sum 42\n")


NOCGO_HEAD = """// Package p, for builds without cgo.

//go:build !cgo

package p

import _ "example.com/p/internal/fakecgo" // purego's shape: an import path is no message
import (
	"fmt"
	cgo "example.com/p/cgo"
)
"""


@pytest.mark.parametrize(
    ("body", "verdict"),
    [
        ('func F() { fmt.Println("ok", cgo.X) }', "real"),
        ('var s = "set up by fakecgo"', "real"),  # cgo inside another word
        ('var s = "p requires CGO_ENABLED=1"', "stub"),
        ('var s = "needs cgo."', "stub"),
    ],
)
def test_only_a_string_that_speaks_of_cgo_makes_a_stub(body: str, verdict: str) -> None:
    off = {"p": SourceFacts("p", "/d", ("s.go",), (), (), None)}
    on = {"p": SourceFacts("p", "/d", (), ("c.go",), (), None)}
    judged = judge(CgoUse("p", ("m", "p"), "external-static"), on, off, lambda _: NOCGO_HEAD + body)
    assert judged.verdict == verdict, judged.detail
