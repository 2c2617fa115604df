"""The head start of a build that takes the full path: the first go build, where it can be
guessed, then go env and go list -deps, all started at once, before gostatic.fullbuild's
modules load.

The full path predicts each package's first rung from the import graph, which go list
gives; for a net/http program go list takes about a fifth of the build's time, and
gostatic's imports more. For the common cold build, packages named by their directories
(`gostatic build -o app ./cmd/app`, `gostatic build -o bin/ ./...`), the first rung can be
guessed without the graph (gostatic.importguess). The guessed build is started on the
session, spelled exactly as the full path will spell it: the first build of a single
package's climb (gostatic.climb), or the one go build of all the main packages of a
command line when they share a strategy (gostatic.climbs), so that the full path takes its
result instead of running it again. Where the guess is wrong (the graph predicts another
rung, the strategy cache or a pin names one), the full path stops it
(:func:`drop_wrong_guess`): a guess only ever saves time; what is built and installed is
the full path's choice.

No guess is made where the first rung depends on what is not cheap to know here: an
import from another module or of "C", a gostatic.toml (its ladder or pins), an entry of
the strategy cache for one of the packages, -buildmode, -o /dev/null, a target other than
linux, GOPATH mode; for several packages, main packages of different guesses or of the
same binary name.
"""

from __future__ import annotations

import os
import sys

from gostatic.errors import GostaticError
from gostatic.goflags import apply_overlay, output_for, overlay_env, user_value
from gostatic.importguess import (
    Module,
    Package,
    find_module,
    package_directories,
    reaches_cgo_resolvers,
    read_package,
)
from gostatic.incremental.fast import start_full_path_queries
from gostatic.incremental.plan import names_several_packages
from gostatic.incremental.stage import Stage
from gostatic.paths import CACHE_FILE, STAGE_DIR, cache_dir
from gostatic.strategies import CGO_OFF, NETGO, PLAIN, strategy_named

TYPE_CHECKING = False  # see gostatic.records: typing is not imported on the build path
if TYPE_CHECKING:
    from collections.abc import Mapping

    from gostatic.gocmd import GoSession
    from gostatic.results import BuildRequest
    from gostatic.strategies import Strategy

_MAX_SETTINGS_BYTES = 1 << 20
_PROJECT_FILE = "gostatic.toml"  # gostatic.project's, without its imports
_EXE_MODES = (None, "exe", "default")


def start_cold_build(request: BuildRequest, session: GoSession) -> None:
    """Start the first go build, if it can be guessed (first: it takes longest), then go
    env and go list -deps."""
    try:
        guessed = _guessed_first_build(request)
    except (OSError, GostaticError):
        guessed = None  # the full path asks again, and says what is wrong
    if guessed is not None:
        argv, env, cwd = guessed
        session.start(argv, env=env, cwd=cwd, guess=True)
    start_full_path_queries(request, session)


def drop_wrong_guess(session: GoSession) -> None:
    """Stop the guessed go build if the full path did not start the same, and remove the
    stage file it may have left half written."""
    for args in session.drop_guesses():
        if "-o" in args[:-1]:
            try:  # noqa: SIM105 (contextlib is one more import on the build path)
                os.unlink(args[args.index("-o") + 1])
            except OSError:
                pass


def _guessed_first_build(request: BuildRequest) -> tuple[list[str], dict[str, str], str] | None:
    """The go build arguments, environment and directory of the first build that the
    full path is expected to run for this request; None where no guess is made."""
    args, env = request.go_args, request.env
    base = os.path.join(request.cwd, args.workdir or ".")
    if env.get("GO111MODULE") == "off" or args.output == os.devnull or _has_project_file(base):
        return None
    settings = _go_settings(env)
    goflags = settings.get("GOFLAGS", "")
    buildmode = user_value(args, goflags, "buildmode")
    if (settings.get("GOOS") or sys.platform) != "linux" or buildmode not in _EXE_MODES:
        return None  # and on linux, GOEXE is empty
    if names_several_packages(args.packages):
        guessed = _group_guess(request, base)
        if guessed is None:
            return None
        strategy, key = guessed
        stage_dir = os.path.join(_stage(request, key, "").strategy_dir(strategy.name), "")
        output, packages = stage_dir, ["--", *args.packages]
    else:
        single = _single_guess(request, base)
        if single is None:
            return None
        strategy, stage = single
        output, packages = stage.binary(strategy.name), list(args.packages)
    os.makedirs(os.path.dirname(output), exist_ok=True)
    flags = apply_overlay(args, goflags, strategy.overlay, output)
    return (
        ["build", *flags, *packages],
        overlay_env(env, strategy.overlay),
        _as_pathlib(request.cwd),
    )


def _single_guess(request: BuildRequest, base: str) -> tuple[Strategy, Stage] | None:
    """The first rung of the one package a directory argument names, and its stage (as
    gostatic.fullbuild names a single package's stage: by its output)."""
    directories = package_directories(base, list(request.go_args.packages))
    if directories is None or len(directories) != 1:
        return None
    [directory] = directories
    module = find_module(directory)
    if module is None:
        return None
    import_path = module.import_path(directory)
    name = _binary_name(import_path)
    package = read_package(directory)
    if name is None or package is None or _cache_may_steer(request, [import_path]):
        return None
    strategy = _strategy_for(request, module, [package])
    if strategy is None:
        return None
    output = output_for(request.go_args.output, name, base)
    if output is None:
        return None
    return strategy, _stage(request, os.path.realpath(os.path.join(base, output)), name)


def _group_guess(request: BuildRequest, base: str) -> tuple[Strategy, str] | None:
    """The one strategy of every main package the arguments name, and the key of the stage
    they share (gostatic.fullbuild's group key)."""
    args = request.go_args
    directories = package_directories(base, list(args.packages))
    module = find_module(base)
    if directories is None or module is None:
        return None
    packages = {d: read_package(d) for d in directories}
    mains = {d: p for d, p in packages.items() if p is not None and p.name == "main"}
    paths = [module.import_path(d) for d in mains]
    names = [_binary_name(p) for p in paths]
    if not mains or None in names or len(set(names)) != len(names):
        return None
    strategy = _strategy_for(request, module, list(mains.values()))
    if strategy is None or _cache_may_steer(request, paths):
        return None
    key = "\n".join(["group", os.path.realpath(base), args.output or "", *args.packages])
    return strategy, key


def _strategy_for(
    request: BuildRequest, module: Module, packages: list[Package]
) -> Strategy | None:
    """The strategy the full path is expected to try first for each of these packages, if
    it is the same for all; None when their sources do not tell."""
    reach = {reaches_cgo_resolvers(package, module) for package in packages}
    if None in reach or len(reach) != 1:
        return None
    forced = request.options.strategy
    if forced:
        # The rungs that no toolchain can be missing for: with standard imports alone,
        # nothing skips them (gostatic.rungchoice).
        strategy = strategy_named(forced)
        return strategy if strategy in (PLAIN, NETGO, CGO_OFF) else None
    # With cgo off, net and os/user have no cgo files, and plain is static.
    cgo_off = request.env.get("CGO_ENABLED") == "0"
    return NETGO if reach == {True} and not cgo_off else PLAIN


def _go_settings(env: Mapping[str, str]) -> dict[str, str]:
    """GOFLAGS and GOOS as go takes them, without waiting for go env: the environment's,
    else those `go env -w` wrote (the file gostatic.incremental.plan reads GOFLAGS from).
    A setting only go env knows (GOROOT's go.env) makes the guess wrong, nothing worse."""
    path = env.get("GOENV") or os.path.join(
        env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME", "~"), ".config"), "go", "env"
    )
    settings: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read(_MAX_SETTINGS_BYTES).splitlines()
    except OSError:
        lines = []
    for line in lines:
        name, sep, value = line.partition("=")
        if sep and name in ("GOFLAGS", "GOOS"):
            settings[name] = value
    settings.update((k, env[k]) for k in ("GOFLAGS", "GOOS") if env.get(k))
    return settings


def _stage(request: BuildRequest, key: str, name: str) -> Stage:
    """The stage of that key gostatic.fullbuild names, its paths spelled as pathlib spells
    them there."""
    return Stage(_as_pathlib(os.path.join(_cache_root(request), STAGE_DIR)), key, name)


def _cache_root(request: BuildRequest) -> str:
    cache_flag = request.options.cache_dir
    return cache_dir(request.env, os.path.join(request.cwd, cache_flag) if cache_flag else None)


def _has_project_file(base: str) -> bool:
    """Whether a gostatic.toml may apply (gostatic.project looks from ``base`` up to the
    module root)."""
    directory = os.path.abspath(base)
    while True:
        if os.path.isfile(os.path.join(directory, _PROJECT_FILE)):
            return True
        parent = os.path.dirname(directory)
        if os.path.isfile(os.path.join(directory, "go.mod")) or parent == directory:
            return False
        directory = parent


def _binary_name(import_path: str) -> str | None:
    """The name go gives the binary: the import path's last element; None for a major
    version suffix (go takes the element before it)."""
    name = import_path.rpartition("/")[2]
    if not name or (name[0] == "v" and name[1:].isdigit()):
        return None
    return name


def _cache_may_steer(request: BuildRequest, import_paths: list[str]) -> bool:
    """Whether the strategy cache may name one of these packages' first rung: its file
    holds the import path (a text search: no TOML read here)."""
    if request.options.no_cache:
        return False
    try:
        with open(os.path.join(_cache_root(request), CACHE_FILE), "rb") as f:
            text = f.read()
    except FileNotFoundError:
        return False
    return any(f'"{p}"'.encode("utf-8", "surrogateescape") in text for p in import_paths)


def _as_pathlib(path: str) -> str:
    """``path`` as str(pathlib.Path(path)) spells it (pathlib is an import this path does
    without): no empty or "." parts."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    lead = "/" if path.startswith("/") else ""
    if path.startswith("//") and not path.startswith("///"):
        lead = "//"
    return lead + "/".join(parts) or "."
