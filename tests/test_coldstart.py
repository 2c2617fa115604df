"""The cold build's head start (gostatic.coldstart): the first go build guessed from the
package's own imports (gostatic.goimports) and started beside go env and go list; the
climb takes its result, or the full path stops it when the guess was wrong.

go calls are counted with a wrapper (GOSTATIC_GO) that logs each call, never timed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from gostatic.coldstart import start_cold_build
from gostatic.gocmd import GoSession
from gostatic.goimports import import_paths
from gostatic.options import build_request
from tests.support import (
    SEED_CGO,
    SEED_FMT,
    SEED_SYSLOG,
    assert_static_by_readelf,
    go_builds,
    logged_go_calls,
    logging_go,
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
    assert import_paths(source) == expected


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
def test_a_header_it_does_not_read_gives_no_imports(source: str) -> None:
    assert import_paths(source) is None


def guessed(module: Path, env: dict[str, str], *argv: str) -> list[tuple[str, ...]]:
    """The go build gostatic.coldstart starts on a guess for ``gostatic build ARGV``."""
    request = build_request(list(argv), env, str(module))
    session = GoSession()
    try:
        start_cold_build(request, session)
        return [args for args in session.drop_guesses() if args[0] == "build"]
    finally:
        session.close()


@requires_go
@pytest.mark.parametrize(
    ("source", "tags"),
    [(SEED_FMT, False), (NET_HTTP, True), (SEED_SYSLOG, True)],
)
def test_the_first_build_is_guessed_from_the_packages_imports(
    tmp_path: Path, gostatic_env: dict[str, str], source: str, tags: bool
) -> None:
    module = write_module(tmp_path / "m", {"cmd/app/main.go": source})
    [build] = guessed(module, gostatic_env, "-o", "bin/app", "./cmd/app")
    assert ("-tags=netgo,osusergo" in build) == tags
    assert build[-1] == "./cmd/app"
    assert build[build.index("-o") + 1].startswith(gostatic_env["GOSTATIC_CACHE_DIR"])


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
            "nested/go.mod": "module example.com/nested\n",  # another module: not either
            "nested/main.go": NET_HTTP,
        },
    )
    [build] = guessed(module, gostatic_env, "-o", "bin/", "./...")
    assert ("-tags=netgo,osusergo" in build) == tags
    assert build[-2:] == ("--", "./...")
    assert build[build.index("-o") + 1].endswith(("/plain/", "/netgo/")[tags])


@requires_go
@pytest.mark.parametrize(
    ("files", "argv"),
    [
        ({"cmd/app/main.go": SEED_CGO}, ["-o", "app", "./cmd/app"]),
        (
            {"cmd/app/main.go": 'package main\n\nimport _ "example.com/m/lib"\n\nfunc main() {}\n'},
            ["-o", "app", "./cmd/app"],
        ),
        ({"cmd/app/main.go": SEED_FMT, "gostatic.toml": 'ladder = ["netgo"]\n'}, ["./cmd/app"]),
        ({"cmd/app/main.go": SEED_FMT}, ["-o", os.devnull, "./cmd/app"]),
        ({"cmd/app/main.go": SEED_FMT}, ["-buildmode=pie", "./cmd/app"]),
        # Several packages: of different guesses, of one binary name, or a library's import.
        ({"cmd/a/main.go": SEED_FMT, "cmd/b/main.go": NET_HTTP}, ["-o", "bin/", "./..."]),
        ({"a/tool/main.go": SEED_FMT, "b/tool/main.go": SEED_FMT}, ["-o", "bin/", "./..."]),
        (
            {
                "cmd/a/main.go": 'package main\n\nimport _ "example.com/m/lib"\n\nfunc main() {}\n',
                "cmd/b/main.go": SEED_FMT,
                "lib/lib.go": 'package lib\n\nimport _ "golang.org/x/sys/unix"\n',
            },
            ["-o", "bin/", "./..."],
        ),
        ({"cmd/app/main.go": SEED_FMT}, ["example.com/m/cmd/app"]),  # not a directory path
    ],
)
def test_no_guess_where_the_first_rung_is_not_the_imports_alone(
    tmp_path: Path, gostatic_env: dict[str, str], files: dict[str, str], argv: list[str]
) -> None:
    module = write_module(tmp_path / "m", files)
    assert guessed(module, gostatic_env, *argv) == []


@pytest.mark.slow
@requires_go
@pytest.mark.parametrize(("source", "strategy"), [(SEED_FMT, "plain"), (NET_HTTP, "netgo")])
def test_the_climb_takes_the_guessed_build(
    tmp_path: Path, gostatic_env: dict[str, str], source: str, strategy: str
) -> None:
    # The guess was made (above); a guess that the climb did not take would be stopped and
    # the climb's own build run after it: two builds.
    wrapper, log = logging_go(tmp_path)
    env = {**gostatic_env, "GOSTATIC_GO": str(wrapper)}
    module = write_module(tmp_path / "m", {"cmd/app/main.go": source})
    assert len(guessed(module, env, "-o", "app", "./cmd/app")) == 1
    logged_go_calls(log)
    run = run_gostatic(["build", "--json", "-o", "app", "./cmd/app"], module, env)
    assert run.returncode == 0, run.stderr
    [result] = json.loads(run.stdout)["results"]
    assert result["strategy"] == strategy
    assert len(go_builds(logged_go_calls(log))) == 1
    assert_static_by_readelf(module / "app")


@pytest.mark.slow
@requires_go
def test_a_wrong_guess_is_stopped_and_the_predicted_rung_built(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    # An ignored file's import of net makes the guess netgo; go list says plain.
    wrapper, log = logging_go(tmp_path)
    env = {**gostatic_env, "GOSTATIC_GO": str(wrapper)}
    ignored = '//go:build ignore\n\npackage main\n\nimport _ "net"\n'
    module = write_module(tmp_path / "m", {"app/main.go": SEED_FMT, "app/extra.go": ignored})
    run = run_gostatic(["build", "--json", "-o", "out", "./app"], module, env)
    assert run.returncode == 0, run.stderr
    [result] = json.loads(run.stdout)["results"]
    assert [(a["strategy"], a["outcome"]) for a in result["attempts"]] == [("plain", "static")]
    guess, built = go_builds(logged_go_calls(log))
    assert "netgo" in guess and "netgo" not in built
    assert not (Path(guess.split(" -o ")[1].split(" ")[0])).exists()
    assert_static_by_readelf(module / "out")


@requires_go
def test_no_guess_where_the_strategy_cache_may_name_the_first_rung(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    module = write_module(tmp_path / "m", {"cmd/app/main.go": SEED_FMT})
    cache = Path(gostatic_env["GOSTATIC_CACHE_DIR"])
    cache.mkdir()
    (cache / "strategies.toml").write_text('[[entry]]\npackage = "example.com/m/cmd/other"\n')
    assert len(guessed(module, gostatic_env, "-o", "app", "./cmd/app")) == 1
    (cache / "strategies.toml").write_text('[[entry]]\npackage = "example.com/m/cmd/app"\n')
    assert guessed(module, gostatic_env, "-o", "app", "./cmd/app") == []
    assert len(guessed(module, gostatic_env, "--no-cache", "-o", "app", "./cmd/app")) == 1


@pytest.mark.slow
@requires_go
def test_the_full_path_takes_the_guessed_build_of_every_command(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    wrapper, log = logging_go(tmp_path)
    env = {**gostatic_env, "GOSTATIC_GO": str(wrapper)}
    module = write_module(
        tmp_path / "m", {f"cmd/{n}/main.go": SEED_FMT.replace("Hello", n) for n in "abc"}
    )
    assert len(guessed(module, env, "-o", "bin/", "./...")) == 1
    logged_go_calls(log)
    run = run_gostatic(["build", "-o", "bin/", "./..."], module, env)
    assert run.returncode == 0, run.stderr
    [build] = go_builds(logged_go_calls(log))
    assert build.endswith(" -- ./...")
    for name in "abc":
        assert_static_by_readelf(module / "bin" / name)
