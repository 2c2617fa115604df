"""The cold build's head start (gostatic.builder.headstart): the first go build guessed
from the package's own sources (gostatic.builder.sourceguess, gostatic.go.header) and
started beside go env and go list, in a stage claimed first; the climb takes its result,
or the climbs stop it before their own builds start when the guess was wrong.

go calls are counted with a wrapper (GOSTATIC_GO) that logs each call, never timed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gostatic.builder.headstart import GuessedBuild, _as_pathlib, guess_first_build
from gostatic.builder.options import build_request
from gostatic.builder.sourceguess import REACH_CGO_RESOLVERS
from gostatic.go.header import read_header
from tests.support import (
    GO,
    SEED_CGO,
    SEED_FMT,
    SEED_SYSLOG,
    assert_static_by_readelf,
    go_builds,
    logged_go_calls,
    requires_go,
    run_gostatic,
    write_module,
)

NET_HTTP = """package main

import (
	"fmt"
	"net/http"
)

func main() { fmt.Println(http.StatusOK) }
"""
LIBRARY = 'package lib\n\nimport "fmt"\n\nfunc Hello() { fmt.Println("hello") }\n'


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('package main\n\nimport "fmt"\n\nfunc main() {}\n', {"fmt"}),
        (NET_HTTP, {"fmt", "net/http"}),
        (SEED_CGO, {"C", "fmt"}),
        (
            '// Package main.\npackage main // x\n/* a\n*/ import (\n\tf "fmt"; _ "embed"\n'
            '\t. "os" // dot\n\t"strings"\n)\nimport `errors`\nvar x = "net"\n',
            {"fmt", "embed", "os", "strings", "errors"},
        ),
        ("package main\n\nfunc main() {}\n", set()),
        ('package main\n\nimport "fmt"\nimport "net"\ntype T int\nimport "os"\n', {"fmt", "net"}),
    ],
)
def test_the_imports_of_a_go_file_are_read_from_its_header(source: str, expected: set[str]) -> None:
    header = read_header(source)
    assert header is not None
    assert (header.package, header.imports) == ("main", expected)


@pytest.mark.parametrize(
    "source",
    [
        'package main\n\nimport (\n\t"fmt"\n',  # no closing parenthesis
        "package main\n/* never closed",
        'package main\nimport "fm',
        'package main\nimport "a\\"b"\n',
        'import "fmt"\n',  # no package clause
        "package main\nimport 42\n",
    ],
)
def test_a_header_it_does_not_read_gives_nothing(source: str) -> None:
    assert read_header(source) is None


@pytest.mark.parametrize(
    "path", ["/a/b", "/a//b/./c/", "a/b", "./a", ".", "", "//a/b", "///a", "/", "a/../b"]
)
def test_paths_are_spelled_as_pathlib_spells_them(path: str) -> None:
    # The guessed build must be the very command the climb runs, whose paths pathlib made.
    assert _as_pathlib(path) == str(Path(path))


@requires_go
def test_the_standard_packages_that_reach_net_or_os_user_are_those_go_list_names() -> None:
    assert GO is not None
    version = subprocess.run(
        [GO, "env", "GOVERSION"], capture_output=True, text=True, check=True
    ).stdout
    if not version.startswith("go1.26"):
        pytest.skip(f"the table is of go 1.26, this is {version.strip()}")
    listed = subprocess.run(
        [GO, "list", "-deps", "-f", '{{.ImportPath}} {{join .Deps " "}}', "std"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    reaching = set()
    for line in listed.splitlines():
        package, *deps = line.split()
        importable = "internal" not in package.split("/") and not package.startswith("vendor/")
        if importable and ({"net", "os/user"} & {package, *deps}):
            reaching.add(package)
    assert reaching == REACH_CGO_RESOLVERS


def guessed(module: Path, env: dict[str, str], *argv: str) -> GuessedBuild | None:
    """The go build gostatic.builder.headstart would start for ``gostatic build ARGV``."""
    return guess_first_build(build_request(list(argv), env, str(module)))


@requires_go
@pytest.mark.parametrize(
    ("source", "tags"),
    [(SEED_FMT, False), (NET_HTTP, True), (SEED_SYSLOG, True)],
)
def test_the_first_build_is_guessed_from_the_packages_imports(
    tmp_path: Path, gostatic_env: dict[str, str], source: str, tags: bool
) -> None:
    module = write_module(tmp_path / "m", {"cmd/app/main.go": source})
    build = guessed(module, gostatic_env, "-o", "bin/app", "./cmd/app")
    assert build is not None
    assert ("-tags=netgo,osusergo" in build.args) == tags
    assert build.args[-1] == "./cmd/app"
    assert build.writes == (build.args[build.args.index("-o") + 1],)
    assert build.writes[0].startswith(gostatic_env["GOSTATIC_CACHE_DIR"])
    [(_, output)] = build.claims
    assert os.path.normpath(output) == str(module / "bin" / "app")


@requires_go
@pytest.mark.parametrize(("lib", "tags"), [("", False), ('import _ "net"\n', True)])
def test_the_guess_follows_the_modules_own_packages(
    tmp_path: Path, gostatic_env: dict[str, str], lib: str, tags: bool
) -> None:
    uses_lib = 'package main\n\nimport _ "example.com/m/internal/lib"\n\nfunc main() {}\n'
    module = write_module(
        tmp_path / "m",
        {"main.go": uses_lib, "internal/lib/lib.go": f"package lib\n\n{lib}"},
    )
    build = guessed(module, gostatic_env)  # `gostatic build`: the package in "."
    assert build is not None
    assert ("-tags=netgo,osusergo" in build.args) == tags
    [(_, output)] = build.claims
    assert os.path.normpath(output) == str(module / "m")


@requires_go
@pytest.mark.parametrize(
    ("files", "argv"),
    [
        ({"cmd/app/main.go": SEED_CGO}, ["-o", "app", "./cmd/app"]),
        (
            {"cmd/app/main.go": 'package main\n\nimport _ "example.com/m/lib"\n\nfunc main() {}\n'},
            ["-o", "app", "./cmd/app"],
        ),
        (
            {"cmd/app/main.go": 'package main\n\nimport _ "golang.org/x/sys/unix"\n'},
            ["-o", "app", "./cmd/app"],
        ),
        ({"cmd/app/main.go": SEED_FMT, "gostatic.toml": 'ladder = ["netgo"]\n'}, ["./cmd/app"]),
        ({"cmd/app/main.go": SEED_FMT}, ["-o", os.devnull, "./cmd/app"]),
        ({"cmd/app/main.go": SEED_FMT}, ["-buildmode=pie", "./cmd/app"]),
        ({"cmd/app/main.go": SEED_FMT}, ["--strategy", "musl-static", "./cmd/app"]),
        ({"cmd/app/main.go": SEED_FMT}, ["example.com/m/cmd/app"]),  # not a directory path
        ({"cmd/app/main.go": SEED_FMT}, ["./cmd/app/main.go"]),  # files
        # Several packages: of different guesses, of one binary name, or not with -o DIR/.
        ({"cmd/a/main.go": SEED_FMT, "cmd/b/main.go": NET_HTTP}, ["-o", "bin/", "./..."]),
        ({"a/tool/main.go": SEED_FMT, "b/tool/main.go": SEED_FMT}, ["-o", "bin/", "./..."]),
        ({"cmd/a/main.go": SEED_FMT, "cmd/b/main.go": SEED_FMT}, ["./..."]),
        # A package that is not main: go list refuses `-o FILE` for it, and no build runs.
        ({"lib/lib.go": LIBRARY}, ["-o", "out", "./lib"]),
        ({"v2/main.go": SEED_FMT}, ["./v2"]),  # go names the binary after the element before
        # go.mod is untrusted: a module path whose last element leaves the stage directory.
        ({"go.mod": "module example.com/..\n", "main.go": SEED_FMT}, ["-o", "out", "."]),
    ],
)
def test_no_guess_where_the_sources_alone_do_not_tell_the_first_build(
    tmp_path: Path, gostatic_env: dict[str, str], files: dict[str, str], argv: list[str]
) -> None:
    module = write_module(tmp_path / "m", files)
    assert guessed(module, gostatic_env, *argv) is None


@requires_go
@pytest.mark.parametrize("setting", ["GOOS=windows", "GOARCH=arm64", None])
def test_no_guess_for_a_go_setting_that_changes_the_target(
    tmp_path: Path, gostatic_env: dict[str, str], setting: str | None
) -> None:
    module = write_module(tmp_path / "m", {"main.go": SEED_FMT})
    assert guessed(module, gostatic_env) is not None
    env_file = tmp_path / "go.env"
    if setting is None:
        env_file.mkdir()  # go's env file cannot be read: its GOFLAGS are not known
    else:
        env_file.write_text(f"{setting}\n")
    assert guessed(module, {**gostatic_env, "GOENV": str(env_file)}) is None


@requires_go
@pytest.mark.parametrize("fifo", ["extra.go", "go.mod"])
def test_a_fifo_among_the_sources_gives_no_guess_and_never_blocks(
    tmp_path: Path, gostatic_env: dict[str, str], fifo: str
) -> None:
    module = write_module(tmp_path / "m", {"app/main.go": SEED_FMT})
    where = module / "app" / fifo
    os.mkfifo(where)  # a plain open of it would wait for a writer forever
    assert guessed(module, gostatic_env, "-o", "out", "./app") is None


@requires_go
def test_no_guess_where_the_strategy_cache_may_name_the_first_rung(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    module = write_module(tmp_path / "m", {"cmd/app/main.go": SEED_FMT})
    cache = Path(gostatic_env["GOSTATIC_CACHE_DIR"])
    cache.mkdir()
    (cache / "strategies.toml").write_text('[[entry]]\npackage = "example.com/m/cmd/other"\n')
    assert guessed(module, gostatic_env, "-o", "app", "./cmd/app") is not None
    (cache / "strategies.toml").write_text('[[entry]]\npackage = "example.com/m/cmd/app"\n')
    assert guessed(module, gostatic_env, "-o", "app", "./cmd/app") is None
    assert guessed(module, gostatic_env, "--no-cache", "-o", "app", "./cmd/app") is not None


@pytest.mark.parametrize(("source", "strategy"), [(SEED_FMT, "plain"), (NET_HTTP, "netgo")])
@requires_go
def test_the_climb_takes_the_guessed_build(
    tmp_path: Path, counted: tuple[dict[str, str], Path], source: str, strategy: str
) -> None:
    env, log = counted
    module = write_module(tmp_path / "m", {"cmd/app/main.go": source})
    guess = guessed(module, env, "-o", "app", "./cmd/app")
    assert guess is not None
    run = run_gostatic(["build", "--json", "-o", "app", "./cmd/app"], module, env)
    assert run.returncode == 0, run.stderr
    [result] = json.loads(run.stdout)["results"]
    assert result["strategy"] == strategy
    # A guess the climb did not take would be stopped and the climb's own build run
    # after it: two builds.
    [build] = go_builds(logged_go_calls(log))
    assert build.split(" ", 1)[1] == " ".join(guess.args)
    assert_static_by_readelf(module / "app")


@requires_go
def test_a_wrong_guess_is_stopped_and_the_predicted_rung_built(
    tmp_path: Path, counted: tuple[dict[str, str], Path]
) -> None:
    # A file that build constraints exclude imports net: the guess is netgo; go list
    # says plain. Both builds write into the same stage.
    env, log = counted
    ignored = '//go:build ignore\n\npackage main\n\nimport _ "net"\n'
    module = write_module(tmp_path / "m", {"app/main.go": SEED_FMT, "app/extra.go": ignored})
    build = guessed(module, env, "-o", "out", "./app")
    assert build is not None and "-tags=netgo,osusergo" in build.args
    run = run_gostatic(["build", "--json", "-o", "out", "./app"], module, env)
    assert run.returncode == 0, run.stderr
    [result] = json.loads(run.stdout)["results"]
    assert [(a["strategy"], a["outcome"]) for a in result["attempts"]] == [("plain", "static")]
    guess, built = go_builds(logged_go_calls(log))
    assert "netgo" in guess and "netgo" not in built
    assert not Path(build.writes[0]).exists()  # what the stopped build wrote is gone
    assert_static_by_readelf(module / "out")
    assert subprocess.run([module / "out"], capture_output=True, check=True).stdout


@requires_go
def test_a_library_named_with_an_output_file_starts_no_build(
    tmp_path: Path, counted: tuple[dict[str, str], Path]
) -> None:
    env, log = counted
    module = write_module(tmp_path / "m", {"lib/lib.go": LIBRARY})
    run = run_gostatic(["build", "-o", "out", "./lib"], module, env)
    assert run.returncode != 0
    assert go_builds(logged_go_calls(log)) == []
    assert not (module / "out").exists()


@requires_go
@pytest.mark.parametrize(("lib", "tags"), [("", False), ('import _ "net"\n', True)])
def test_one_build_of_every_command_is_guessed_through_the_modules_own_packages(
    tmp_path: Path, gostatic_env: dict[str, str], lib: str, tags: bool
) -> None:
    uses_lib = 'package main\n\nimport _ "example.com/m/internal/lib"\n\nfunc main() {}\n'
    module = write_module(
        tmp_path / "m",
        {
            "cmd/a/main.go": uses_lib,
            "cmd/b/main.go": uses_lib if tags else SEED_FMT,
            "internal/lib/lib.go": f"package lib\n\n{lib}",
            "cmd/testdata/main.go": NET_HTTP,  # not in ./...
            "cmd/_old/main.go": NET_HTTP,  # nor this
            "nested/go.mod": "module example.com/nested\n",  # another module: nor this
            "nested/main.go": NET_HTTP,
        },
    )
    build = guessed(module, gostatic_env, "-o", "bin/", "./...")
    assert build is not None
    assert ("-tags=netgo,osusergo" in build.args) == tags
    assert build.args[-2:] == ["--", "./..."]
    assert build.args[build.args.index("-o") + 1].endswith(("/plain/", "/netgo/")[tags])
    assert sorted(os.path.basename(w) for w in build.writes) == ["a", "b"]
    assert sorted(os.path.normpath(o) for _, o in build.claims) == [
        str(module / "bin" / "a"),
        str(module / "bin" / "b"),
    ]


@requires_go
def test_the_full_path_takes_the_guessed_build_of_every_command(
    tmp_path: Path, counted: tuple[dict[str, str], Path]
) -> None:
    env, log = counted
    module = write_module(
        tmp_path / "m",
        {
            **{f"cmd/{n}/main.go": SEED_FMT.replace("Hello", n) for n in "abc"},
            "internal/lib/lib.go": LIBRARY,
        },
    )
    guess = guessed(module, env, "-o", "bin/", "./...")
    assert guess is not None
    run = run_gostatic(["build", "-o", "bin/", "./..."], module, env)
    assert run.returncode == 0, run.stderr
    [build] = go_builds(logged_go_calls(log))
    assert build.split(" ", 1)[1] == " ".join(guess.args)
    for name in "abc":
        assert_static_by_readelf(module / "bin" / name)


@requires_go
@pytest.mark.parametrize("library", [False, True])
def test_the_one_command_of_a_pattern_is_built_as_its_climb_builds_it(
    tmp_path: Path, counted: tuple[dict[str, str], Path], library: bool
) -> None:
    # Alone in the pattern, the command's climb builds it with the command line's own
    # package arguments; beside a library, with its import path (gostatic.builder.full).
    env, log = counted
    files = {"cmd/app/main.go": NET_HTTP, **({"internal/lib/lib.go": LIBRARY} if library else {})}
    module = write_module(tmp_path / "m", files)
    guess = guessed(module, env, "-o", "bin/", "./...")
    assert guess is not None
    assert guess.args[-1] == ("example.com/m/cmd/app" if library else "./...")
    run = run_gostatic(["build", "-o", "bin/", "./..."], module, env)
    assert run.returncode == 0, run.stderr
    [build] = go_builds(logged_go_calls(log))
    assert build.split(" ", 1)[1] == " ".join(guess.args)
    assert_static_by_readelf(module / "bin" / "app")


@requires_go
def test_the_guessed_build_starts_in_a_stage_already_locked(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    # Each guessed build claims (locks) the stage before go writes into it: without that,
    # another build's claim of the same stage could remove what this go is linking. The
    # go below tries the stage's lock before building, as another process would.
    assert GO is not None
    log = tmp_path / "lock-state"
    wrapper = tmp_path / "go"
    wrapper.write_text(
        f"#!{sys.executable}\n"
        "import fcntl, os, sys\n"
        "args = sys.argv[1:]\n"
        "if args[0] == 'build':\n"
        "    stage = os.path.dirname(os.path.dirname(args[args.index('-o') + 1]))\n"
        "    fd = os.open(os.path.join(stage, 'lock'), os.O_RDWR | os.O_CREAT)\n"
        "    try:\n"
        "        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
        "        state = 'free'\n"
        "    except BlockingIOError:\n"
        "        state = 'held'\n"
        "    os.close(fd)\n"
        f"    open({str(log)!r}, 'a').write(state + '\\n')\n"
        f"os.execv({GO!r}, [{GO!r}, *args])\n"
    )
    wrapper.chmod(0o755)
    env = {**gostatic_env, "GOSTATIC_GO": str(wrapper)}
    module = write_module(tmp_path / "m", {"cmd/app/main.go": NET_HTTP})
    run = run_gostatic(["build", "-o", "app", "./cmd/app"], module, env)
    assert run.returncode == 0, run.stderr
    assert log.read_text().split() == ["held"]  # one build, the guessed one, in a locked stage
    assert_static_by_readelf(module / "app")


@requires_go
@pytest.mark.parametrize(
    ("argv", "extra_env"),
    [
        (["-C", "sub", "-o", "app", "./cmd/app"], {}),
        (["-tags", "extra", "-trimpath", "-o", "app", "./cmd/app"], {}),
        (["-ldflags=-s -w", "-o", "app", "./cmd/app"], {}),
        (["--cache-dir", "rel-cache", "-o", "app", "./cmd/app"], {}),
        (["-o", "app", "./cmd/app"], {"GOFLAGS": "-trimpath -tags=extra"}),
        (["-o", "app", "./cmd/app"], {"CGO_ENABLED": "0"}),
    ],
    ids=["-C", "tags", "ldflags", "cache-dir", "GOFLAGS", "cgo-off"],
)
def test_the_guess_is_spelled_as_the_climb_spells_its_build(
    tmp_path: Path, counted: tuple[dict[str, str], Path], argv: list[str], extra_env: dict[str, str]
) -> None:
    # A guess spelled otherwise than the climb's own build is stopped and the build run
    # again: right, but two builds where one was meant.
    env, log = counted
    env = {**env, **extra_env}
    source = NET_HTTP if "CGO_ENABLED" not in extra_env else SEED_FMT
    root = write_module(tmp_path / "m", {"sub/cmd/app/main.go": source})
    module = root / "sub"
    (module / "go.mod").write_text("module example.com/m\n\ngo 1.21\n")
    cwd = root if argv[0] == "-C" else module
    guess = guessed(cwd, env, *argv)
    assert guess is not None
    run = run_gostatic(["build", *argv], cwd, env)
    assert run.returncode == 0, run.stderr
    [build] = go_builds(logged_go_calls(log))
    assert build.split(" ", 1)[1] == " ".join(guess.args)
    assert_static_by_readelf(module / "app")
