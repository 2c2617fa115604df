"""A cold build (no gostatic cache, no stage, no output) imports only what it uses.

On a cold build gostatic's own Python runs beside go env, go list and go build on the same
cores, so every import a plain build never needs delays go's work. The build runs for real,
in an interpreter started with -S (tests.support.imports_of) whose path holds this tree and
this Python's site-packages, as an installed `gostatic` command's would; its binary is
checked by readelf, which owes nothing to gostatic.
"""

from __future__ import annotations

import site
from pathlib import Path

import pytest

from tests.support import assert_static_by_readelf, imports_of, requires_go, write_module

pytestmark = [pytest.mark.slow, requires_go]

NET_HTTP_SERVER = """package main

import (
	"fmt"
	"net/http"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	})
	_ = http.ListenAndServe("127.0.0.1:0", nil)
}
"""

FMT_ONLY = """package main

import "fmt"

func main() { fmt.Println("hello") }
"""

# Modules only rare paths need, each with the path: a C toolchain's probe or a failed link's
# package lookup (subprocess, and what it imports; shutil, and its compressors; importlib's
# finder for the ziglang package), a full stage to trim or `cache clear` (shutil), cgo with
# no standard fallback (gostatic.cgo.cgooff), what the C linker said (a failed build, or
# glibc's warnings: gostatic.cgo.linkerlog and its readers). gostatic.records states what
# each costs.
RARE_PATH_IMPORTS = {
    "subprocess", "signal", "selectors", "locale", "shutil", "bz2", "lzma",
    "importlib.machinery", "gostatic.cgo.cgooff", "gostatic.cgo.pkgconfig",
    "gostatic.cgo.linkerlog", "gostatic.cgo.linkhazards", "gostatic.cgo.linkreason",
}  # fmt: skip


@pytest.mark.parametrize(
    ("source", "strategy"), [(FMT_ONLY, "plain"), (NET_HTTP_SERVER, "netgo")], ids=["fmt", "http"]
)
def test_a_cold_build_imports_only_what_it_uses(
    tmp_path: Path, gostatic_env: dict[str, str], source: str, strategy: str
) -> None:
    module = write_module(tmp_path / "m", {"cmd/app/main.go": source})
    args = ("build", "--json", "-o", "bin/app", "./cmd/app")
    # tomli-w (the strategy cache's writer) is a dependency: found where pip installed it.
    said, imported = imports_of(
        f"sys.path.extend({site.getsitepackages()!r})\n"
        "from gostatic.__main__ import main\n"
        "print(main(sys.argv[1:]))",
        args,
        module,
        gostatic_env,
    )
    *report, status = said
    assert status == "0", report
    assert f'"strategy": "{strategy}"' in "".join(report)
    assert "gostatic.builder.full" in imported  # the cold path, not the up-to-date one
    assert "tomli_w" in imported  # the cold build recorded its strategy
    assert not imported & RARE_PATH_IMPORTS, sorted(imported & RARE_PATH_IMPORTS)
    assert_static_by_readelf(module / "bin" / "app")
