"""A cold build's guess proved exact (gostatic.builder.guessproof): no go list where the
guessed first rung is taken, and the same outcome as the build that lists the graph.

The reference is the build without a head start at all: GOARCH set to the host's own
arch leaves the target as it is but makes the head start guess nothing, so that one
lists the graph first, as gostatic always did. go calls are counted with a wrapper
(GOSTATIC_GO) that logs each call, never timed.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from gostatic.builder.guessproof import GuessProof
from gostatic.builder.headstart import guess_first_build
from gostatic.builder.options import build_request
from gostatic.builder.sourceguess import Module, read_packages, trace_imports
from gostatic.go.env import GoEnv, go_env
from gostatic.go.session import GoCommand
from tests.support import (
    GO,
    SEED_FMT,
    SEED_SYSLOG,
    assert_static_by_readelf,
    go_builds,
    go_subcommands,
    logged_go_calls,
    requires_go,
    run_gostatic,
    write_module,
)

NET_HTTP = 'package main\n\nimport "net/http"\n\nfunc main() { println(http.StatusOK) }\n'
USER = 'package main\n\nimport "os/user"\n\nfunc main() { u, _ := user.Current(); println(u) }\n'
VIA_LIB = 'package main\n\nimport "example.com/m/lib"\n\nfunc main() { lib.Hello() }\n'
LIB_NET = 'package lib\n\nimport "net"\n\nfunc Hello() { println(net.IPv4len) }\n'
LIB_FMT = 'package lib\n\nimport "fmt"\n\nfunc Hello() { fmt.Println("hello") }\n'


def proof_of(module: Path, env: dict[str, str], *argv: str) -> GuessProof | None:
    guess = guess_first_build(build_request(list(argv), env, str(module)))
    assert guess is not None, "no guess at all"
    return guess.proof


def host_arch() -> str:
    assert GO is not None
    run = subprocess.run([GO, "env", "GOARCH"], capture_output=True, text=True, check=True)
    return run.stdout.strip()


def outcome(run_stdout: str) -> list[tuple[object, ...]]:
    """What a build reports of each package, without its timings."""
    report = json.loads(run_stdout)
    return [
        (
            r["package"],
            r["strategy"],
            r["static"],
            [(a["strategy"], a["outcome"]) for a in r["attempts"]],
            r["needs"],
            r["hazards"],
        )
        for r in report["results"]
    ] + [report.get("error", {}).get("exit_status")]


# --- what the sources say ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "constrained"),
    [
        ("main.go", SEED_FMT, False),
        ("linux.go", SEED_FMT, False),  # go reads the words after the first "_" only
        ("main_linux.go", SEED_FMT, True),
        ("zz_amd64.go", SEED_FMT, True),
        ("main.go", "//go:build linux\n\n" + SEED_FMT, True),
        ("main.go", "// +build linux\n\n" + SEED_FMT, True),
    ],
)
def test_a_file_a_build_may_leave_out_makes_the_package_constrained(
    tmp_path: Path, name: str, text: str, constrained: bool
) -> None:
    (tmp_path / name).write_text(text)
    packages = read_packages([str(tmp_path)])
    assert packages is not None
    assert packages[str(tmp_path)].constrained is constrained


@pytest.mark.parametrize(
    ("files", "exact", "standard"),
    [
        ({"lib/lib.go": LIB_NET}, True, {"net"}),
        ({"lib/lib.go": LIB_FMT, "lib/x_windows.go": "package lib\n"}, False, {"fmt"}),
        ({"lib/lib.go": LIB_FMT, "lib/go.mod": "module example.com/m/lib\n"}, False, {"fmt"}),
    ],
)
def test_the_trace_is_exact_only_through_the_modules_own_unconstrained_packages(
    tmp_path: Path, files: dict[str, str], exact: bool, standard: set[str]
) -> None:
    module = write_module(tmp_path / "m", {"main.go": VIA_LIB, **files})
    packages = read_packages([str(module)])
    assert packages is not None
    reach = trace_imports(packages[str(module)], Module(str(module), "example.com/m"))
    assert reach is not None
    assert (reach.exact, reach.standard) == (exact, frozenset(standard))


# --- what the head start proves, and what go env must confirm -----------------------------


@requires_go
@pytest.mark.parametrize(
    ("source", "strategy"),
    [(SEED_FMT, "plain"), (NET_HTTP, "netgo"), (USER, "netgo"), (SEED_SYSLOG, "netgo")],
)
def test_a_package_named_by_its_directory_gets_a_proof(
    tmp_path: Path, gostatic_env: dict[str, str], source: str, strategy: str
) -> None:
    module = write_module(tmp_path / "m", {"cmd/app/main.go": source})
    proof = proof_of(module, gostatic_env, "-o", "app", "./cmd/app")
    assert proof is not None
    assert (proof.import_path, proof.strategy) == ("example.com/m/cmd/app", strategy)
    assert proof.build.args[-1] == "./cmd/app"


@requires_go
@pytest.mark.parametrize(
    ("argv", "setting"),
    [
        (("-tags=netgo",), None),  # the user's tags change which files of net go lists
        (("-tags=",), None),
        (("-race",), None),
        ((), "GOFLAGS=-race"),
        ((), "GOFLAGS=-modfile=other.mod"),
        (("-overlay=overlay.json",), None),  # what go reads is not what is on disk
        (("-compiler=gccgo",), None),
        ((), "GOEXPERIMENT=boringcrypto"),
        ((), "CGO_ENABLED=0"),  # the first rung then needs go list's verdicts
    ],
)
def test_settings_that_change_what_go_list_reads_give_no_proof(
    tmp_path: Path, gostatic_env: dict[str, str], argv: tuple[str, ...], setting: str | None
) -> None:
    module = write_module(tmp_path / "m", {"app/main.go": NET_HTTP})
    env = dict(gostatic_env)
    if setting is not None:
        name, _, value = setting.partition("=")
        env[name] = value
    assert proof_of(module, env, *argv, "-o", "out", "./app") is None


@requires_go
def test_a_constrained_file_gives_no_proof(tmp_path: Path, gostatic_env: dict[str, str]) -> None:
    constrained = write_module(
        tmp_path / "c", {"app/main.go": SEED_FMT, "app/x.go": "//go:build linux\n\npackage main\n"}
    )
    assert proof_of(constrained, gostatic_env, "-o", "out", "./app") is None


@requires_go
def test_a_pattern_gets_a_proof_only_where_go_list_names_its_one_main_package_alone(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    alone = write_module(tmp_path / "alone", {"app/main.go": SEED_FMT})
    proof = proof_of(alone, gostatic_env, "-o", "bin/", "./...")
    assert proof is not None and proof.import_path == "example.com/m/app"
    assert proof.directory == str(alone / "app")
    library = write_module(tmp_path / "lib", {"app/main.go": SEED_FMT, "lib/lib.go": LIB_FMT})
    assert proof_of(library, gostatic_env, "-o", "bin/", "./...") is None
    # go list names a directory of test files alone too (go build builds nothing of it).
    tests = {"app/main.go": SEED_FMT, "e2e/e2e_test.go": "package e2e\n"}
    with_tests = write_module(tmp_path / "tests", tests)
    guess = guess_first_build(build_request(["-o", "bin/", "./..."], gostatic_env, str(with_tests)))
    assert guess is not None and guess.proof is None
    assert guess.args[-1] == "example.com/m/app"  # as the climb spells it beside another


@requires_go
def test_a_pattern_below_a_pwd_that_go_spells_otherwise_gets_no_proof(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    # go takes the working directory from $PWD where it names it: through a symbolic link,
    # go list's directories are not the ones the plan would keep.
    module = write_module(tmp_path / "m", {"app/main.go": SEED_FMT})
    (tmp_path / "link").symlink_to(module)
    env = {**gostatic_env, "PWD": str(tmp_path / "link")}
    assert proof_of(module, env, "-o", "bin/", "./...") is None
    stale = {**gostatic_env, "PWD": str(tmp_path)}  # names another directory: go ignores it
    assert proof_of(module, stale, "-o", "bin/", "./...") is not None


@requires_go
def test_go_env_must_confirm_the_release_cgo_and_each_standard_import(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    module = write_module(tmp_path / "m", {"app/main.go": NET_HTTP})
    proof = proof_of(module, gostatic_env, "-o", "out", "./app")
    assert proof is not None
    goenv = go_env(gostatic_env, module)
    if not goenv.version.startswith("go1.26"):
        pytest.skip(f"the table of standard packages is of go 1.26, this is {goenv.version}")
    assert goenv.cgo_enabled, "these tests need a C compiler"
    assert proof.holds(goenv)
    assert not proof.holds(goenv._replace(version="go1.27.0"))
    assert not proof.holds(goenv._replace(version="go1.260"))
    assert not proof.holds(goenv._replace(cgo_enabled=False))
    # An import without a dot that is no standard package: another module's (replace).
    assert not proof._replace(standard=proof.standard | {"mylib"}).holds(goenv)
    assert not proof.holds(goenv._replace(goroot=str(tmp_path / "nowhere")))


def test_a_proof_names_the_package_as_go_list_would() -> None:
    build = GoCommand(["build", "."], {}, "/m")
    fmt = frozenset({"fmt"})
    proof = GuessProof("example.com/m", "/m", "example.com/m", fmt, fmt, "plain", build)
    listed = proof.listed()
    assert listed.is_main and listed.module == "example.com/m" and listed.imports == ("fmt",)
    assert not proof.holds(GoEnv("linux", "amd64", "go1.26.1", "gcc", True, "", ""))  # no GOROOT


@requires_go
def test_no_standard_package_has_a_pkg_config_directive_or_imports_plugin() -> None:
    # What the proof says of every graph it takes without go list.
    assert GO is not None
    template = '{{.ImportPath}}|{{join .CgoPkgConfig " "}}|{{join .Imports " "}}'
    listed = subprocess.run(
        [GO, "list", "-deps", "-f", template, "std"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for line in listed.splitlines():
        package, pkg_config, imports = line.split("|")
        assert pkg_config == "", package
        assert package == "plugin" or "plugin" not in imports.split(), package


# --- the build: no go list when the guess is taken, and the same outcome ------------------


VIA_INTERNAL = VIA_LIB.replace("example.com/m/lib", "app/internal/users").replace("lib.", "users.")
USERS = LIB_FMT.replace("package lib", "package users").replace('"fmt"', '"os/user"')
USERS = USERS.replace('fmt.Println("hello")', "_, _ = user.Current()")
EMBED = (
    'package main\n\nimport _ "embed"\n\n//go:embed data.txt\nvar s string\n\n'
    "func main() { println(s) }\n"
)


@requires_go
@pytest.mark.parametrize(
    ("files", "module_path", "strategy"),
    [
        ({"app/main.go": SEED_FMT}, "example.com/m", "plain"),
        ({"app/main.go": NET_HTTP}, "example.com/m", "netgo"),
        ({"app/main.go": VIA_LIB, "lib/lib.go": LIB_NET}, "example.com/m", "netgo"),
        # A module path without a dot, its own internal package reaching os/user.
        ({"app/main.go": VIA_INTERNAL, "internal/users/u.go": USERS}, "app", "netgo"),
        ({"app/main.go": EMBED, "app/data.txt": "embedded"}, "example.com/m", "plain"),
    ],
)
def test_a_proved_guess_builds_without_go_list_what_the_listing_build_builds(
    tmp_path: Path,
    counted: tuple[dict[str, str], Path],
    files: dict[str, str],
    module_path: str,
    strategy: str,
) -> None:
    env, log = counted
    module = write_module(tmp_path / "m", files, module_path)
    proved = run_gostatic(["build", "--json", "-o", "out", "./app"], module, env)
    assert proved.returncode == 0, proved.stderr
    assert sorted(go_subcommands(logged_go_calls(log))) == ["build", "env"]
    assert_static_by_readelf(module / "out")
    assert subprocess.run([module / "out"], capture_output=True, check=False).returncode == 0

    reference_env = {**env, "GOARCH": host_arch(), "GOSTATIC_CACHE_DIR": str(tmp_path / "ref")}
    listed = run_gostatic(["build", "--json", "-o", "ref", "./app"], module, reference_env)
    assert listed.returncode == 0, listed.stderr
    assert "list" in go_subcommands(logged_go_calls(log))
    assert outcome(proved.stdout) == outcome(listed.stdout)
    assert json.loads(proved.stdout)["results"][0]["strategy"] == strategy


@requires_go
@pytest.mark.parametrize(
    ("argv", "source"),
    [
        # The first rung links with the C linker, without -static: a dynamic binary, and the
        # climb goes on with the rungs that need the graph.
        (("-ldflags=-linkmode=external",), SEED_FMT),
        # The code does not compile: go's error, as the listing build reports it.
        ((), 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println(undefined) }\n'),
    ],
)
def test_a_guess_not_taken_ends_as_the_listing_build_ends(
    tmp_path: Path, counted: tuple[dict[str, str], Path], argv: tuple[str, ...], source: str
) -> None:
    env, log = counted
    module = write_module(tmp_path / "m", {"app/main.go": source})
    proved = run_gostatic(["build", "--json", *argv, "-o", "out", "./app"], module, env)
    calls = go_subcommands(logged_go_calls(log))
    assert calls.count("list") == 1, calls  # asked once the guess was not enough
    reference_env = {**env, "GOARCH": host_arch(), "GOSTATIC_CACHE_DIR": str(tmp_path / "ref")}
    listed = run_gostatic(["build", "--json", *argv, "-o", "ref", "./app"], module, reference_env)
    assert proved.returncode == listed.returncode
    assert outcome(proved.stdout) == outcome(listed.stdout)


@requires_go
def test_the_users_pure_go_tags_make_the_guess_plain_as_go_list_predicts(
    tmp_path: Path, counted: tuple[dict[str, str], Path]
) -> None:
    # With -tags netgo,osusergo, net and os/user have no cgo files: go list predicts plain,
    # and a guess of netgo would be a build started for nothing (no proof: -tags).
    env, log = counted
    module = write_module(tmp_path / "m", {"app/main.go": NET_HTTP})
    argv = ["-tags=osusergo,netgo", "-o", "out", "./app"]
    assert proof_of(module, env, *argv) is None
    run = run_gostatic(["build", "--json", *argv], module, env)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["results"][0]["strategy"] == "plain"
    calls = logged_go_calls(log)
    assert len(go_builds(calls)) == 1 and "list" in go_subcommands(calls)
    assert_static_by_readelf(module / "out")


@requires_go
@pytest.mark.parametrize("output", [("-o", "bin/"), ()])
def test_the_one_main_of_a_pattern_builds_without_go_list_and_plans_as_go_lists(
    tmp_path: Path, counted: tuple[dict[str, str], Path], output: tuple[str, ...]
) -> None:
    env, log = counted
    module = write_module(tmp_path / "m", {"cmd/tool/main.go": NET_HTTP})
    proved = run_gostatic(["build", "--json", *output, "./..."], module, env)
    assert proved.returncode == 0, proved.stderr
    assert sorted(go_subcommands(logged_go_calls(log))) == ["build", "env"]
    binary = module / ("bin/tool" if output else "tool")
    assert_static_by_readelf(binary)
    # The plan names the package as go list -find does: the next build is go's check.
    again = run_gostatic(["build", "--json", *output, "./..."], module, env)
    assert sorted(go_subcommands(logged_go_calls(log))) == ["build", "list"]
    assert json.loads(again.stdout)["results"][0]["attempts"][-1]["detail"].startswith("up to")

    reference_env = {**env, "GOARCH": host_arch(), "GOSTATIC_CACHE_DIR": str(tmp_path / "ref")}
    binary.unlink()
    listed = run_gostatic(["build", "--json", *output, "./..."], module, reference_env)
    assert listed.returncode == 0, listed.stderr
    assert outcome(proved.stdout) == outcome(listed.stdout)
