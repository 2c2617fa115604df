"""gostatic.cgo.pkgconfig: a static rung's pkg-config, right even after a plain build.

The real test builds a cgo program that finds libpng with `#cgo pkg-config: libpng`
(libpng's Libs.private names zlib): a plain build first, then static external links in
the same go build cache. Without the environment the module gives, the static link fails
on zlib's symbols (also with a --static wrapper alone: go reuses the plain build's flags);
with it, the binary is static by readelf and runs in an empty root.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from gostatic.cgo.linkerlog import read_linker_log
from gostatic.cgo.pkgconfig import (
    MACRO,
    go_quote,
    go_split,
    install_wrapper,
    pkg_config_command,
    real_pkg_config,
    static_pkg_config_env,
    wrapper_script,
)
from tests.support import (
    assert_static_by_readelf,
    go_subcommands,
    logged_go_calls,
    logging_go,
    readelf_facts,
    requires_go,
    run_gostatic,
    run_in_empty_root,
    write_module,
)

PKG_CONFIG = shutil.which("pkg-config")


@pytest.mark.parametrize(
    ("value", "fields"),
    [
        ("pkg-config", ["pkg-config"]),
        ("pkg-config --static", ["pkg-config", "--static"]),
        ("  '/opt/my tools/pkgconf'  --x", ["/opt/my tools/pkgconf", "--x"]),
        ('"a b" c', ["a b", "c"]),
        ("'unterminated", []),
        ("", []),
        ("a\tb\nc", ["a", "b", "c"]),
    ],
)
def test_go_split_as_go_splits(value: str, fields: list[str]) -> None:
    assert go_split(value) == fields


@pytest.mark.parametrize(
    "path", ["/plain/path", "/with space/x", "/it's here/x", '/say "x" there/y', "'quoted"]
)
def test_go_quote_round_trips_through_go_split(path: str) -> None:
    quoted = go_quote(path)
    assert quoted is not None
    assert go_split(quoted) == [path]


def test_go_quote_refuses_what_go_cannot_take() -> None:
    assert go_quote('/a b/it\'s "x"') is None


def test_real_pkg_config_is_looked_up_on_path(tmp_path: Path) -> None:
    tool = tmp_path / "mypc"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    env = {"PATH": str(tmp_path)}
    assert real_pkg_config("mypc --ignored", env) == str(tool)
    assert real_pkg_config("nosuch-pkg-config", env) is None
    assert real_pkg_config("", {"PATH": str(tmp_path / "empty")}) is None


def test_the_wrapper_is_content_addressed_and_executable(tmp_path: Path) -> None:
    path = Path(install_wrapper(str(tmp_path), "/usr/bin/pkg-config"))
    assert path.read_bytes() == wrapper_script("/usr/bin/pkg-config")
    assert stat.S_IMODE(path.stat().st_mode) == 0o755
    assert install_wrapper(str(tmp_path), "/usr/bin/pkg-config") == str(path)
    other = install_wrapper(str(tmp_path), "/opt/x/pkg config")
    assert other != str(path)
    assert b"'/opt/x/pkg config' --static" in Path(other).read_bytes()


def test_a_tampered_wrapper_is_replaced(tmp_path: Path) -> None:
    path = Path(install_wrapper(str(tmp_path), "/usr/bin/pkg-config"))
    path.write_bytes(b"#!/bin/sh\nexec evil\n")
    assert install_wrapper(str(tmp_path), "/usr/bin/pkg-config") == str(path)
    assert path.read_bytes() == wrapper_script("/usr/bin/pkg-config")


def test_go_orders_flags_before_names() -> None:
    command = pkg_config_command("/pc", ["libpng", "--define-prefix", "--", "zlib"], "--libs")
    assert command == ["/pc", "--static", "--libs", "--define-prefix", "--", "libpng", "zlib"]


@pytest.mark.parametrize(
    ("name", "safe"),
    [("libpng", True), ("gtk+-3.0", True), ("./x", True), ("-lz", False), ("", False)],
)
def test_names_go_would_refuse_are_not_run(name: str, safe: bool) -> None:
    assert (pkg_config_command("/pc", [name], "--libs") is not None) == safe


def test_nothing_to_do_without_pkg_config_packages(tmp_path: Path) -> None:
    for directives in ([], [["--static"]]):
        got = static_pkg_config_env(
            pkg_config="pkg-config",
            cppflags="",
            directives=directives,
            cache_dir=str(tmp_path),
            env={"PATH": os.environ.get("PATH", "")},
        )
        assert got == {}
    assert not (tmp_path / "tools").exists()


def test_nothing_to_do_without_pkg_config(tmp_path: Path) -> None:
    got = static_pkg_config_env(
        pkg_config="pkg-config",
        cppflags="",
        directives=[["libpng"]],
        cache_dir=str(tmp_path),
        env={"PATH": str(tmp_path)},
    )
    assert got == {}


@pytest.mark.skipif(PKG_CONFIG is None, reason="pkg-config missing: apt-get install pkg-config")
def test_a_package_pkg_config_does_not_know_leaves_the_error_to_go(tmp_path: Path) -> None:
    got = static_pkg_config_env(
        pkg_config="pkg-config",
        cppflags="",
        directives=[["gostatic-no-such-package"]],
        cache_dir=str(tmp_path),
        env=dict(os.environ),
    )
    assert got == {}


def _libpng_installed() -> bool:
    if PKG_CONFIG is None:
        return False
    probe = subprocess.run([PKG_CONFIG, "--exists", "libpng"], check=False)
    return probe.returncode == 0


requires_libpng = pytest.mark.skipif(
    not _libpng_installed(), reason="libpng's pkg-config file missing: apt-get install libpng-dev"
)


@requires_libpng
def test_the_env_keeps_go_env_flags_and_names_the_output(tmp_path: Path) -> None:
    got = static_pkg_config_env(
        pkg_config="pkg-config",
        cppflags="-I/opt/include",
        directives=[["libpng"]],
        cache_dir=str(tmp_path),
        env=dict(os.environ),
    )
    assert set(got) == {"PKG_CONFIG", "CGO_CPPFLAGS"}
    assert got["PKG_CONFIG"].startswith(str(tmp_path / "tools" / "pkg-config-static-"))
    flags = got["CGO_CPPFLAGS"].split()
    assert flags[0] == "-I/opt/include" and flags[1].startswith(f"-D{MACRO}=")
    wrapper_says = subprocess.run(
        [got["PKG_CONFIG"], "--libs", "libpng"], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "-lz" in wrapper_says  # libpng's Libs.private


PNG_MAIN = """package main

/*
#cgo pkg-config: libpng
#include <png.h>
*/
import "C"
import "fmt"

func main() { fmt.Println("libpng", C.GoString(C.png_get_libpng_ver(nil))) }
"""

STATIC_LINK = (
    "-tags",
    "netgo,osusergo",
    "-ldflags=-linkmode=external -extldflags=-static",
)


def _go_build(mod: Path, out: str, *flags: str, env: dict[str, str] | None = None) -> str | None:
    """go build in the shared go build cache (as gostatic's rungs run); its stderr on failure."""
    proc = subprocess.run(
        ["go", "build", *flags, "-o", out, "."],
        cwd=mod,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return None if proc.returncode == 0 else proc.stderr


def _go_env(name: str) -> str:
    return subprocess.run(
        ["go", "env", name], capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.mark.slow
@requires_go
@requires_libpng
def test_static_rung_right_after_a_plain_build(tmp_path: Path) -> None:
    # A fresh directory: its package has no cache entry yet, whatever ran before.
    mod = write_module(tmp_path / "png", {"main.go": PNG_MAIN})
    assert _go_build(mod, "plain") is None
    assert readelf_facts(mod / "plain")[1], "the plain build is dynamic"

    # The oracles can fail: plain pkg-config misses zlib; a --static wrapper alone does
    # too, since go reuses the package's link flags from the plain build.
    failed = _go_build(mod, "bare", *STATIC_LINK)
    assert failed is not None
    assert "crc32" in {u.symbol for u in read_linker_log(failed).undefined}
    env = static_pkg_config_env(
        pkg_config=_go_env("PKG_CONFIG"),
        cppflags=_go_env("CGO_CPPFLAGS"),
        directives=[["libpng"]],
        cache_dir=str(tmp_path / "cache"),
        env=dict(os.environ),
    )
    wrapper_only = {"PKG_CONFIG": env["PKG_CONFIG"]}
    failed = _go_build(mod, "wrapped", *STATIC_LINK, env=wrapper_only)
    assert failed is not None, "go's cache no longer reuses pkg-config flags: drop the macro"
    assert "crc32" in {u.symbol for u in read_linker_log(failed).undefined}

    assert _go_build(mod, "static", *STATIC_LINK, env=env) is None
    assert_static_by_readelf(mod / "static")
    ran = run_in_empty_root(mod / "static", tmp_path / "root")
    assert ran.returncode == 0 and ran.stdout.startswith("libpng 1."), ran.stderr

    # And the plain build is still the plain one afterwards.
    assert _go_build(mod, "plain-again") is None
    assert readelf_facts(mod / "plain-again")[1]


@pytest.mark.slow
@requires_go
@requires_libpng
def test_todays_workaround_names_the_private_libraries(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    """What docs/cannot-be-static.md tells a user to do until the rungs do it: pass what
    pkg-config --static names to the C linker (it goes after the package's own -l flags)."""
    mod = write_module(tmp_path / "png", {"main.go": PNG_MAIN})
    assert PKG_CONFIG is not None
    libs = subprocess.run(
        [PKG_CONFIG, "--static", "--libs", "libpng"], capture_output=True, text=True, check=True
    ).stdout.split()
    ldflags = f"-ldflags=-extldflags '{' '.join(libs)}'"
    run = run_gostatic(["build", ldflags, "-o", "app", "."], mod, gostatic_env)
    assert run.returncode == 0, run.stderr
    assert_static_by_readelf(mod / "app")
    ran = run_in_empty_root(mod / "app", tmp_path / "root")
    assert ran.returncode == 0 and ran.stdout.startswith("libpng 1."), ran.stderr


@pytest.mark.slow
@requires_go
@requires_libpng
def test_gostatic_links_a_pkg_config_package_statically_and_rebuilds_it_fast(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    """The static rung runs pkg-config --static, right after a plain build of the same
    package; the fast path then builds with the same environment: go finds the build ID
    it proved, and a relink after a change links the private libraries too."""
    mod = write_module(tmp_path / "png", {"main.go": PNG_MAIN})
    assert _go_build(mod, "plain") is None
    wrapper, log = logging_go(tmp_path)
    env = {**gostatic_env, "GOSTATIC_GO": str(wrapper)}

    run = run_gostatic(["build", "--json", "-o", "app", "."], mod, env)
    assert run.returncode == 0, run.stderr
    [result] = json.loads(run.stdout)["results"]
    assert result["strategy"] == "external-static"
    assert_static_by_readelf(mod / "app")
    ran = run_in_empty_root(mod / "app", tmp_path / "root")
    assert ran.returncode == 0 and ran.stdout.startswith("libpng 1."), ran.stderr
    logged_go_calls(log)

    up_to_date = run_gostatic(["build", "--json", "-o", "app", "."], mod, env)
    assert up_to_date.returncode == 0, up_to_date.stderr
    [result] = json.loads(up_to_date.stdout)["results"]
    assert result["attempts"][-1]["detail"].startswith("up to date")
    assert go_subcommands(logged_go_calls(log)) == ["build"]

    (mod / "main.go").write_text(PNG_MAIN.replace('"libpng"', '"libpng again"'))
    relinked = run_gostatic(["build", "--json", "-o", "app", "."], mod, env)
    assert relinked.returncode == 0, relinked.stderr
    assert go_subcommands(logged_go_calls(log)) == ["build"]  # the fast path, in one build
    assert_static_by_readelf(mod / "app")
    ran = run_in_empty_root(mod / "app", tmp_path / "root2")
    assert ran.returncode == 0 and ran.stdout.startswith("libpng again 1."), ran.stderr
