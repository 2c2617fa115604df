"""`gostatic explain` and the prediction it gives `gostatic build`.

Chains are checked against facts of the Go standard library (log/syslog imports net; net and
os/user have cgo files), go build calls are counted by a wrapper that logs each call to go.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from gostatic.explain import CgoAnalysis, CgoUse, analyse
from gostatic.go.packages import ListedPackage, PackageGraph
from tests.support import (
    OS_USER,
    SEED_CGO,
    SEED_FMT,
    SEED_SYSLOG,
    assert_static_by_readelf,
    go_builds,
    logged_go_calls,
    logging_go,
    requires_go,
    run_gostatic,
    run_in_empty_root,
    write_module,
)

CGO_NET = """package main

// #include <stdlib.h>
// int one() { return abs(-1); }
import "C"
import (
	"fmt"
	"net"
)

func main() {
	_ = net.ParseIP("127.0.0.1")
	fmt.Println("Hello", 41+C.one())
}
"""

# A cgo package with a `!cgo` stub, as mattn/go-sqlite3 has: CGO_ENABLED=0 builds and passes
# any ELF check, and the program is broken.
STUBBED_CGO = """package {pkg}

// {cgo_flags}
// int answer(void) {{ return 42; }}
import "C"

func Answer() int {{ return int(C.answer()) }}
"""
STUB = """//go:build !cgo

package {pkg}

func Answer() int {{ panic("built with CGO_ENABLED=0; this is a stub") }}
"""
USES_SQ = """package main

import (
	"fmt"

	"example.com/m/%s"
)

func main() { fmt.Println("answer", %s.Answer()) }
"""
PLUGIN = """package main

import "plugin"

func main() { _, _ = plugin.Open("x.so") }
"""
RUNTIME_CGO = """package main

import _ "runtime/cgo"

func main() {}
"""


@pytest.fixture(scope="module")
def progs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_module(
        tmp_path_factory.mktemp("explain") / "m",
        {
            "fmt/main.go": SEED_FMT,
            "log-syslog/main.go": SEED_SYSLOG,
            "cgo/main.go": SEED_CGO,
            "user/main.go": OS_USER,
            "cgonet/main.go": CGO_NET,
            "plug/main.go": PLUGIN,
            "rtcgo/main.go": RUNTIME_CGO,
            "sq/sq_cgo.go": STUBBED_CGO.format(pkg="sq", cgo_flags=""),
            "sq/sq_stub.go": STUB.format(pkg="sq"),
            "sqmain/main.go": USES_SQ % ("sq", "sq"),
            # The same, with a library that exists only as a shared object: the external
            # static link fails too, so the whole ladder runs.
            "sqso/sq_cgo.go": STUBBED_CGO.format(pkg="sqso", cgo_flags="#cgo LDFLAGS: -lgcc_s"),
            "sqso/sq_stub.go": STUB.format(pkg="sqso"),
            "sqsomain/main.go": USES_SQ % ("sqso", "sqso"),
        },
    )


# --- the analysis on hand-made graphs --------------------------------------------------------


def _graph(*packages: ListedPackage) -> PackageGraph:
    return PackageGraph(packages[:1], {p.import_path: p for p in packages})


def _pkg(path: str, *imports: str, cgo: bool = False) -> ListedPackage:
    return ListedPackage(
        path, "main", "", None, None, imports, uses_cgo=cgo, standard="." not in path
    )


def test_the_shortest_chain_wins() -> None:
    graph = _graph(
        _pkg("ex.com/app", "ex.com/a", "ex.com/b"),
        _pkg("ex.com/a", "ex.com/c"),
        _pkg("ex.com/c", "net"),
        _pkg("ex.com/b", "net"),
        _pkg("net", "C", cgo=True),
    )
    assert analyse(graph, "ex.com/app").uses == (
        CgoUse("net", ("ex.com/app", "ex.com/b", "net"), "netgo"),
    )


def test_runtime_cgo_is_a_consequence_unless_imported_by_name() -> None:
    # go links runtime/cgo into every cgo program without an import naming it.
    implicit = _graph(
        _pkg("ex.com/app", "os/user"),
        _pkg("os/user", "C", cgo=True),
        _pkg("runtime/cgo", "C", cgo=True),
    )
    assert [u.package for u in analyse(implicit, "ex.com/app").uses] == ["os/user"]
    explicit = _graph(_pkg("ex.com/app", "runtime/cgo"), _pkg("runtime/cgo", "C", cgo=True))
    assert analyse(explicit, "ex.com/app").uses == (
        CgoUse("runtime/cgo", ("ex.com/app", "runtime/cgo"), "external-static"),
    )


@pytest.mark.parametrize(
    ("remedies", "prediction"),
    [
        ((), "plain"),
        (("netgo",), "netgo"),
        (("netgo", "osusergo"), "netgo"),
        (("netgo", "external-static"), "external-static"),
        (("external-static", "cannot be static"), None),
    ],
)
def test_prediction_from_remedies(remedies: tuple[str, ...], prediction: str | None) -> None:
    uses = tuple(CgoUse(f"p{i}", ("app",), r) for i, r in enumerate(remedies))
    assert CgoAnalysis("app", uses).prediction == prediction


def test_cgo_off_is_refused_only_for_packages_without_a_pure_go_fallback() -> None:
    fallback = CgoAnalysis("app", (CgoUse("net", (), "netgo"), CgoUse("os/user", (), "osusergo")))
    assert fallback.cgo_off_refusal() is None
    mixed = CgoAnalysis("app", (CgoUse("net", (), "netgo"), CgoUse("ex.com/sq", (), "x")))
    refusal = mixed.cgo_off_refusal()
    assert refusal is not None and "ex.com/sq" in refusal and "net," not in refusal


def _go_builds(log: Path) -> list[str]:
    return go_builds(logged_go_calls(log))


# --- explain on real packages (go list only) -------------------------------------------------

M = "example.com/m"


SQ_CHAIN = [f"{M}/sqmain", f"{M}/sq"]
EXPLAINED = [
    ("fmt", [], "plain"),
    ("log-syslog", [("net", [f"{M}/log-syslog", "log/syslog", "net"], "netgo")], "netgo"),
    ("user", [("os/user", [f"{M}/user", "os/user"], "osusergo")], "netgo"),
    ("cgo", [(f"{M}/cgo", [f"{M}/cgo"], "external-static")], "external-static"),
    (
        "cgonet",
        [
            (f"{M}/cgonet", [f"{M}/cgonet"], "external-static"),
            ("net", [f"{M}/cgonet", "net"], "netgo"),
        ],
        "external-static",
    ),
    ("sqmain", [(f"{M}/sq", SQ_CHAIN, "external-static")], "external-static"),
    ("plug", [("plugin", [f"{M}/plug", "plugin"], "cannot be static")], None),
    (
        "rtcgo",
        [("runtime/cgo", [f"{M}/rtcgo", "runtime/cgo"], "external-static")],
        "external-static",
    ),
]


# The run-time needs the imports predict (gostatic.needprediction); none for the others.
PREDICTED_NEEDS = {"log-syslog": ["hosts"], "user": ["users"], "cgonet": ["hosts"]}
CGO_OFF_VERDICTS = {
    "cgo": [(f"{M}/cgo", "fails")],
    "cgonet": [(f"{M}/cgonet", "fails")],
    "sqmain": [(f"{M}/sq", "stub")],
    "plug": [("plugin", "stub")],
    "rtcgo": [("runtime/cgo", "unknown")],
}


@requires_go
@pytest.mark.parametrize(("program", "cgo_packages", "prediction"), EXPLAINED)
def test_explain_json(
    progs: Path,
    gostatic_env: dict[str, str],
    program: str,
    cgo_packages: list[tuple[str, list[str], str]],
    prediction: str | None,
) -> None:
    run = run_gostatic(["explain", "--json", f"./{program}"], progs, gostatic_env)
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    verdicts = [(v["package"], v["verdict"]) for v in doc.pop("cgo_off")]
    assert doc == {
        "version": 1,
        "package": f"{M}/{program}",
        "cgo_packages": [
            {"package": p, "chain": chain, "remedy": remedy} for p, chain, remedy in cgo_packages
        ],
        "loads_libraries": [],
        "prediction": prediction,
        "predicted_needs": PREDICTED_NEEDS.get(program, []),
    }
    # Judged only for cgo packages with no standard fallback: sq's !cgo file is a stub.
    assert verdicts == CGO_OFF_VERDICTS.get(program, [])


@requires_go
def test_explain_predicts_with_the_projects_ladder(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    # The default ladder predicts netgo for log/syslog; this project tries cgo-off first.
    mod = write_module(
        tmp_path / "m",
        {"main.go": SEED_SYSLOG, "gostatic.toml": 'ladder = ["cgo-off", "netgo"]\n'},
    )
    run = run_gostatic(["explain", "--json", "."], mod, gostatic_env)
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert [c["package"] for c in doc["cgo_packages"]] == ["net"]
    assert doc["prediction"] == "cgo-off"


@requires_go
@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["-tags", "netgo,osusergo", "./log-syslog"], {}, []),
        (["./log-syslog"], {"GOFLAGS": "-tags=netgo"}, []),
        # netgo alone leaves os/user on libc (docs/strategies.md: both tags are needed).
        (["./user"], {"GOFLAGS": "-tags=netgo"}, ["os/user"]),
        (["./log-syslog"], {"CGO_ENABLED": "0"}, []),
        # Cross-compiling turns cgo off unless a C compiler is named.
        (["./log-syslog"], {"GOARCH": "arm64"}, []),
    ],
)
def test_explain_honours_tags_goflags_cgo_enabled_and_goarch(
    progs: Path,
    gostatic_env: dict[str, str],
    args: list[str],
    env: dict[str, str],
    expected: list[str],
) -> None:
    run_env = {**gostatic_env, **env}
    run_env.pop("CC", None)
    run = run_gostatic(["explain", "--json", *args], progs, run_env)
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert [p["package"] for p in doc["cgo_packages"]] == expected
    assert doc["prediction"] == ("plain" if not expected else "netgo")


@requires_go
def test_explain_text_tells_the_chain_the_remedy_and_the_prediction(
    progs: Path, gostatic_env: dict[str, str]
) -> None:
    run = run_gostatic(["explain", "./log-syslog"], progs, gostatic_env)
    assert run.returncode == 0, run.stderr
    assert "chain:  log-syslog > log/syslog > net" in run.stdout
    assert "remedy: tag netgo" in run.stdout
    assert "prediction: netgo" in run.stdout
    assert "cgo-off" not in run.stdout  # net has a pure-Go fallback: nothing to skip


@requires_go
def test_explain_text_says_cgo_off_would_be_skipped_for_a_stubbed_cgo_package(
    progs: Path, tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    wrapper, log = logging_go(tmp_path)
    run = run_gostatic(
        ["explain", "./sqmain"], progs, {**gostatic_env, "GOSTATIC_GO": str(wrapper)}
    )
    assert _go_builds(log) == []  # explain reads the graph, it builds nothing
    assert run.returncode == 0, run.stderr
    said = f"cgo-off would be skipped: CGO_ENABLED=0 not taken: without cgo {M}/sq compiles a stub"
    assert f"{said}: sq_stub.go says" in run.stdout
    assert "prediction: external-static" in run.stdout


@requires_go
def test_explain_from_another_directory_with_dash_c(
    progs: Path, gostatic_env: dict[str, str]
) -> None:
    run = run_gostatic(
        ["explain", "--json", "-C", progs.name, "./log-syslog"], progs.parent, gostatic_env
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["prediction"] == "netgo"


@requires_go
@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["./..."], 2, "explain takes exactly one package"),
        (["./missing"], 1, "missing"),
        (["./plug", "./fmt"], 2, "explain takes exactly one package"),
    ],
)
def test_explain_errors_are_one_line(
    progs: Path, gostatic_env: dict[str, str], args: list[str], status: int, message: str
) -> None:
    run = run_gostatic(["explain", *args], progs, gostatic_env)
    assert run.returncode == status
    [line] = run.stderr.strip().splitlines()
    assert line.startswith("gostatic: ") and message in line


# --- the prediction in gostatic build (real builds, go build calls counted) -------------------


@pytest.mark.slow
@requires_go
@pytest.mark.parametrize(
    ("program", "strategy"),
    [
        ("fmt", "plain"),
        ("log-syslog", "netgo"),
        ("cgo", "external-static"),
        ("user", "netgo"),
        ("cgonet", "external-static"),
    ],
)
def test_a_cold_first_build_costs_one_go_build(
    progs: Path, tmp_path: Path, gostatic_env: dict[str, str], program: str, strategy: str
) -> None:
    wrapper, log = logging_go(tmp_path)
    out = tmp_path / program
    run = run_gostatic(
        ["build", "--json", "-o", str(out), f"./{program}"],
        progs,
        {**gostatic_env, "GOSTATIC_GO": str(wrapper)},
    )
    assert run.returncode == 0, run.stderr
    [result] = json.loads(run.stdout)["results"]
    assert result["strategy"] == strategy
    assert [a["strategy"] for a in result["attempts"]] == [strategy]
    assert len(_go_builds(log)) == 1, log.read_text()
    assert_static_by_readelf(out)


@pytest.mark.slow
@requires_go
def test_a_stubbed_cgo_package_is_linked_statically_with_its_c_code(
    progs: Path, tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    out = tmp_path / "sqmain"
    run = run_gostatic(["build", "--json", "-o", str(out), "./sqmain"], progs, gostatic_env)
    assert run.returncode == 0, run.stderr
    [result] = json.loads(run.stdout)["results"]
    assert result["strategy"] == "external-static"
    assert_static_by_readelf(out)
    proc = run_in_empty_root(out, tmp_path / "root")
    assert proc.returncode == 0, proc.stderr  # the stub would panic
    assert proc.stdout.strip() == "answer 42"


@pytest.mark.slow
@requires_go
def test_cgo_off_is_skipped_not_run_even_when_asked_for(
    progs: Path, tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    wrapper, log = logging_go(tmp_path)
    out = tmp_path / "sqmain"
    run = run_gostatic(
        ["build", "--json", "--strategy", "cgo-off", "-o", str(out), "./sqmain"],
        progs,
        {**gostatic_env, "GOSTATIC_GO": str(wrapper)},
    )
    assert run.returncode == 3
    [result] = json.loads(run.stdout)["results"]
    [attempt] = result["attempts"]
    assert (attempt["strategy"], attempt["outcome"]) == ("cgo-off", "skipped")
    assert f"without cgo {M}/sq compiles a stub" in attempt["detail"]
    assert _go_builds(log) == []
    assert not out.exists()


@pytest.mark.slow
@requires_go
def test_when_nothing_else_works_the_stub_is_still_refused(
    progs: Path, tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    static_libgcc_s = subprocess.run(
        ["gcc", "-print-file-name=libgcc_s.a"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if Path(static_libgcc_s).is_absolute():
        pytest.skip("this C toolchain has a static libgcc_s: the external static link works")
    # The musl rungs link this program (zig, for one, brings its own unwinder): the glibc
    # rungs alone make "nothing else works" true wherever musl-gcc or ziglang is installed.
    mod = tmp_path / "m"
    shutil.copytree(progs, mod)
    (mod / "gostatic.toml").write_text(
        'ladder = ["plain", "netgo", "cgo-off", "external-static"]\n'
    )
    wrapper, log = logging_go(tmp_path)
    out = tmp_path / "sqsomain"
    run = run_gostatic(
        ["build", "--json", "-o", str(out), "./sqsomain"],
        mod,
        {**gostatic_env, "GOSTATIC_GO": str(wrapper)},
    )
    assert run.returncode == 3, run.stderr
    [result] = json.loads(run.stdout)["results"]
    outcomes = [(a["strategy"], a["outcome"]) for a in result["attempts"]]
    assert outcomes == [
        ("external-static", "build-failed"),  # the prediction, wrong here
        ("plain", "dynamic"),
        ("netgo", "dynamic"),
        ("cgo-off", "skipped"),
    ]
    assert not any(c.startswith("CGO_ENABLED=0 ") for c in _go_builds(log))
    assert not out.exists()
