"""`needs` in every `gostatic build` result (full path, relinked fast path, up to date) and
the needs `gostatic explain` predicts from the imports.

The oracle owes nothing to gostatic: each built program fails in an empty root when it has
a need, and runs there once exactly the files its reported needs name are put in
(tests/test_elf_needs.py's PROVIDE).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gostatic.elf.needs import remedy
from gostatic.go.packages import ListedPackage, PackageGraph
from gostatic.needprediction import predict_needs
from tests.support import (
    go_subcommands,
    imports_of,
    logged_go_calls,
    requires_go,
    run_gostatic,
    run_in_empty_root,
    write_module,
)
from tests.test_elf_needs import EXPECTED, PROBES, PROVIDE
from tests.test_fastpath import HOT_PATH_IMPORTS

M = "example.com/m"
# One program per need, and one (fmt only) with none.
PROGRAMS = ("fmtonly", "certs", "hosts", "tmp", "users", "zone")
HTTP_GET = """package main

import (
	"fmt"
	"net/http"
)

func main() { fmt.Println(http.Get("https://example.com/")) }
"""


@pytest.fixture
def module(tmp_path: Path) -> Path:
    return write_module(tmp_path / "m", {f"{name}/main.go": PROBES[name] for name in PROGRAMS})


def build(module: Path, env: dict[str, str], name: str, *extra: str) -> dict[str, object]:
    run = run_gostatic(["build", "--json", *extra, "-o", f"bin/{name}", f"./{name}"], module, env)
    assert run.returncode == 0, run.stderr
    [result] = json.loads(run.stdout)["results"]
    assert isinstance(result, dict)
    return result


def runs_with(binary: Path, root: Path, needs: list[str]) -> bool:
    """Whether ``binary`` exits 0 in a root holding only what ``needs`` names."""
    root.mkdir(parents=True)
    for need in needs:
        PROVIDE[need](root)
    return run_in_empty_root(binary, root).returncode == 0


def assert_needs_are_what_it_looks_for(binary: Path, needs: object, tmp_path: Path) -> None:
    assert isinstance(needs, list)
    if needs:
        assert not runs_with(binary, tmp_path / "bare", []), f"ran without {needs}"
    assert runs_with(binary, tmp_path / "met", needs), f"failed with {needs} met"


# --- gostatic build ---------------------------------------------------------------------


@pytest.mark.slow
@requires_go
@pytest.mark.parametrize("name", PROGRAMS)
def test_needs_on_the_full_and_the_up_to_date_path(
    module: Path, counted: tuple[dict[str, str], Path], tmp_path: Path, name: str
) -> None:
    env, log = counted
    full = build(module, env, name)
    # The full path: go env (go list only if the head start's guess is not proved exact).
    assert "env" in go_subcommands(logged_go_calls(log))
    assert full["needs"] == list(EXPECTED[name])
    assert_needs_are_what_it_looks_for(module / "bin" / name, full["needs"], tmp_path)

    again = build(module, env, name)
    assert go_subcommands(logged_go_calls(log)) == ["build"]
    [attempt] = again["attempts"]  # type: ignore[misc]
    assert attempt["detail"].startswith("up to date")
    assert again["needs"] == full["needs"]


@pytest.mark.slow
@requires_go
def test_needs_of_a_relinked_binary_are_read_again(
    module: Path, counted: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, log = counted
    source = module / "hosts" / "main.go"
    assert build(module, env, "hosts")["needs"] == ["hosts"]
    logged_go_calls(log)
    # Each source keeps the strategy that worked (netgo): the fast path relinks.
    for program, needs in (("users", ["users"]), ("fmtonly", []), ("zone", ["zoneinfo"])):
        source.write_text(PROBES[program])
        result = build(module, env, "hosts")
        assert go_subcommands(logged_go_calls(log)) == ["build"], program
        assert (result["strategy"], result["needs"]) == ("netgo", needs), program
        assert_needs_are_what_it_looks_for(module / "bin" / "hosts", needs, tmp_path / program)
        # Up to date, the stamp written by the relink says the same.
        assert build(module, env, "hosts")["needs"] == needs, program
        assert go_subcommands(logged_go_calls(log)) == ["build"], program


@pytest.mark.slow
@requires_go
def test_text_output_names_each_need_with_its_remedy(
    module: Path, gostatic_env: dict[str, str]
) -> None:
    for _ in ("full path", "up to date"):
        run = run_gostatic(["build", "-o", "bin/users", "./users"], module, gostatic_env)
        assert run.returncode == 0, run.stderr
        assert f"gostatic: {M}/users: needs users: {remedy('users')}\n" in run.stderr
    quiet = run_gostatic(["build", "--quiet", "-o", "bin/users", "./users"], module, gostatic_env)
    assert quiet.returncode == 0 and quiet.stderr == ""
    plain = run_gostatic(["build", "-o", "bin/fmtonly", "./fmtonly"], module, gostatic_env)
    assert plain.returncode == 0 and "needs" not in plain.stderr


@pytest.mark.slow
@requires_go
def test_an_up_to_date_build_with_needs_imports_only_what_the_interpreter_has(
    module: Path, gostatic_env: dict[str, str]
) -> None:
    args = ("build", "-o", "bin/users", "./users")  # text output: the remedies are named
    assert run_gostatic(list(args), module, gostatic_env).returncode == 0
    said, imported = imports_of(
        "from gostatic.__main__ import main\nprint(main(sys.argv[1:]))", args, module, gostatic_env
    )
    assert said == ["0"]
    unexpected = {m for m in imported if m != "gostatic" and not m.startswith("gostatic.")}
    assert unexpected <= HOT_PATH_IMPORTS, sorted(unexpected - HOT_PATH_IMPORTS)
    assert "gostatic.elf.facts" not in imported and "gostatic.elf.gofuncs" not in imported


# --- gostatic explain: predicted ---------------------------------------------------------


def graph(imports: dict[str, tuple[str, ...]], own: tuple[str, ...] = ("main",)) -> PackageGraph:
    """A package graph: ``imports`` by package; every package is standard but ``own``."""
    packages = {
        path: ListedPackage(path, "p", "/", None, None, deps, standard=path not in own)
        for path, deps in imports.items()
    }
    return PackageGraph((packages["main"],), packages)


@pytest.mark.parametrize(
    ("imports", "predicted"),
    [
        ({"main": ("fmt",), "fmt": ()}, ()),
        (
            {"main": ("crypto/tls",), "crypto/tls": ("crypto/x509",), "crypto/x509": ()},
            ("ca-certificates",),
        ),
        (
            {
                "main": ("crypto/x509", "golang.org/x/crypto/x509roots/fallback"),
                "crypto/x509": (),
                "golang.org/x/crypto/x509roots/fallback": ("crypto/x509",),
            },
            (),
        ),
        ({"main": ("log/syslog",), "log/syslog": ("net",), "net": ()}, ("hosts",)),
        ({"main": ("os/user", "net"), "os/user": (), "net": ()}, ("hosts", "users")),
        # In the graph, but not imported by the program.
        ({"main": ("fmt",), "fmt": (), "net": ()}, ()),
        # time and os are in every program: no zoneinfo, no tmp.
        ({"main": ("time", "os"), "time": (), "os": ()}, ()),
    ],
)
def test_predicted_needs(imports: dict[str, tuple[str, ...]], predicted: tuple[str, ...]) -> None:
    assert predict_needs(graph(imports), "main") == predicted


def test_a_package_of_the_programs_own_is_not_the_standard_one() -> None:
    imports = {"main": ("net",), "net": ()}
    assert predict_needs(graph(imports, own=("main", "net")), "main") == ()


@pytest.mark.slow
@requires_go
@pytest.mark.parametrize(
    ("name", "predicted"),
    [
        ("fmtonly", []),
        ("certs", ["ca-certificates", "hosts"]),  # crypto/x509 imports net
        ("hosts", ["hosts"]),
        ("users", ["users"]),
        ("zone", []),
        ("tmp", []),
        ("http", ["ca-certificates", "hosts"]),
    ],
)
def test_explain_predicts_needs_and_says_it_is_a_prediction(
    module: Path, gostatic_env: dict[str, str], name: str, predicted: list[str]
) -> None:
    (module / "http").mkdir()
    (module / "http" / "main.go").write_text(HTTP_GET)
    run = run_gostatic(["explain", "--json", f"./{name}"], module, gostatic_env)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["predicted_needs"] == predicted
    text = run_gostatic(["explain", f"./{name}"], module, gostatic_env)
    assert text.returncode == 0, text.stderr
    said = ", ".join(predicted) or "none"
    guess = "a guess from the imports; gostatic build reads the binary"
    assert f"predicted needs ({guess}): {said}\n" in text.stdout
    for need in predicted:
        assert f"  {need}: {remedy(need)}\n" in text.stdout
    assert "not predicted: tmp, zoneinfo" in text.stdout
