"""The head start of a build that takes the full path: its first go build, where it can
be guessed, then go env and go list -deps, all started before the full path's modules
load.

The full path predicts a package's first rung from the import graph, which go list gives;
for a small program go list and gostatic's imports take a third of the time go build
takes. For the common cold builds the first rung can be guessed from the packages' own
sources (gostatic.builder.sourceguess): one package named by its directory (`gostatic
build`, `gostatic build -o app ./cmd/app`), whose climb (gostatic.builder.climb) builds it
first; the one main package of a pattern of directories, built the same way; or the
main packages of directories and patterns of directories with `-o DIR/` (`gostatic
build -o bin/ ./...`), which gostatic.builder.climbs builds with one go build when they
share a strategy. The guessed build is spelled exactly as the full path will
spell it, so that the full path takes its result from the session instead of running it
again. Where the guess is wrong, the climbs stop it before their own builds start
(GoSession.keep_guesses): a guess only ever saves time; what is built and installed is
the full path's choice.

For one package named by its directory, or the one package a pattern matches, the
guess may be proved exact: what go list would predict (gostatic.builder.guessproof).
Then no go list is started here; the full path lists the graph only if a rung after
the guessed one needs it.

The guessed build writes into the packages' stage, so the stage is claimed first for
each binary (locked, and tidied of what this run did not build:
gostatic.incremental.stage), as the full path would claim it; the full path's own claims
then find it claimed.

No guess is made where the first rung depends on what is not cheap to know here: a
package that is not main (go list would refuse `-o FILE`), an import from another module
or of "C", a gostatic.toml (its ladder or pins), an entry of the strategy cache for one
of the packages, --strategy other than the rungs every machine has, -buildmode, -o
/dev/null, a GOOS or GOARCH setting, GOPATH mode; for several packages, main packages of
different guesses or of one binary name, or no `-o DIR/`.
"""

from __future__ import annotations

import os

from gostatic.builder.guessproof import GuessProof, flags_leave_it_exact
from gostatic.builder.sourceguess import (
    Module,
    Reach,
    find_module,
    package_directories,
    read_packages,
    tests_only,
    trace_imports,
)
from gostatic.errors import GostaticError
from gostatic.go.flags import (
    apply_overlay,
    goflags_entries,
    output_for,
    overlay_env,
    user_tags,
    user_value,
)
from gostatic.go.header import GoHeader
from gostatic.go.output import go_setting_in_effect
from gostatic.go.session import GoCommand
from gostatic.incremental.fast import start_full_path_queries
from gostatic.incremental.plan import names_several_packages
from gostatic.incremental.stage import Stage
from gostatic.paths import CACHE_FILE, STAGE_DIR, build_cache_dir
from gostatic.records import TYPE_CHECKING, Record
from gostatic.strategies import CGO_OFF, NETGO, PLAIN, PURE_GO_TAGS, strategy_named

if TYPE_CHECKING:
    from gostatic.builder.results import BuildRequest
    from gostatic.go.session import GoSession
    from gostatic.strategies import Strategy

_PROJECT_FILE = "gostatic.toml"  # gostatic.project's, without its imports
_EXE_MODES = (None, "exe", "default")


class GuessedBuild(Record):
    """The first go build the full path is expected to run, and where it writes."""

    args: list[str]
    env: dict[str, str]
    cwd: str
    # Each binary's stage, and the output it is for (None: go writes none).
    claims: tuple[tuple[Stage, str | None], ...]
    writes: tuple[str, ...]  # the stage binaries
    # Where the guess is exact, what makes it so (gostatic.builder.guessproof).
    proof: GuessProof | None = None


def start_head_start(request: BuildRequest, session: GoSession) -> GuessProof | None:
    """Start the first go build, if it can be guessed (first: it takes longest), then go
    env and, unless the guess may be exact, go list -deps; return the guess's proof."""
    try:
        guessed = guess_first_build(request)
    except (OSError, GostaticError):
        guessed = None  # the full path asks again, and says what is wrong
    if guessed is not None:
        for stage, output in guessed.claims:
            stage.claim(output)  # before go writes into it
        for written in guessed.writes:
            os.makedirs(os.path.dirname(written), exist_ok=True)
        session.start(guessed.args, env=guessed.env, cwd=guessed.cwd, guess_writes=guessed.writes)
    proof = guessed.proof if guessed is not None else None
    start_full_path_queries(request, session, with_list=proof is None)
    return proof


def guess_first_build(request: BuildRequest) -> GuessedBuild | None:
    """The first go build the full path is expected to run for ``request``; None where no
    guess is made (see the module's docstring)."""
    args = request.go_args
    base = os.path.join(request.cwd, args.workdir or ".")
    goflags = _goflags_if_guessable(request, base)
    directories = package_directories(base, args.packages) if goflags is not None else None
    packages = read_packages(directories) if directories is not None else None
    mains = [d for d, p in (packages or {}).items() if p.package == "main"]
    module = find_module(mains[0]) if mains else None
    if goflags is None or packages is None or module is None:
        return None
    if any(find_module(d) != module for d in mains[1:]):
        return None  # another module's package, named by its directory
    paths = [module.import_path(d) for d in mains]
    names = [n for n in (_binary_name(p) for p in paths) if n is not None]
    reaches = [trace_imports(packages[d], module) for d in mains]
    pure_go = set(PURE_GO_TAGS) <= set(user_tags(args, goflags))
    strategies = {_first_rung(request, reach, pure_go) for reach in reaches}
    cache_root = build_cache_dir(request.env, request.cwd, request.options.cache_dir)
    steered = _cache_may_steer(request, cache_root, paths)
    if len(names) != len(mains) or len(strategies) != 1 or steered:
        return None
    [strategy] = strategies
    if strategy is None:
        return None
    root = _as_pathlib(os.path.join(cache_root, STAGE_DIR))
    one = _OneMain(module, mains[0], packages[mains[0]], reaches[0])
    if not names_several_packages(args.packages):
        # One directory, its package main (for a library, go list refuses -o FILE: no
        # build), in the stage gostatic.builder.full keys by its output, resolved
        # (pathlib's resolve() is os.path.realpath).
        output = os.path.join(base, output_for(args.output, names[0], base) or names[0])
        stage = Stage(root, os.path.realpath(output), names[0])
        build = _climb_build(request, goflags, strategy, stage, output, args.packages)
        return build._replace(proof=_proof(request, goflags, one, build))
    if len(names) == 1:
        alone = len(packages) == 1 and tests_only(directories or []) == 0
        return _one_main_of_a_pattern(request, goflags, strategy, root, one, alone)
    return _group_build(request, base, goflags, strategy, root, names)


class _OneMain(Record):
    """The one main package a command line names, as its sources say."""

    module: Module
    directory: str
    package: GoHeader
    reach: Reach | None

    @property
    def import_path(self) -> str:
        return self.module.import_path(self.directory)


def _one_main_of_a_pattern(
    request: BuildRequest,
    goflags: str,
    strategy: Strategy,
    root: str,
    main: _OneMain,
    alone: bool,
) -> GuessedBuild | None:
    """The climb's build of the one main package of a pattern: in the stage of the
    command line, with the command line's package arguments where go list will name no
    other package (``alone``: a directory of test files alone is one too), else its
    import path (gostatic.builder.full). Beside other packages, go writes nothing without
    -o, and refuses -o FILE."""
    args = request.go_args
    base = os.path.join(request.cwd, args.workdir or ".")
    name = _binary_name(main.import_path) or ""
    to_file = args.output is not None and output_for(args.output, name, base) == args.output
    if to_file and not alone:
        return None
    stage = Stage(root, _group_key(base, args.output, args.packages), name)
    own_args = args.packages if alone else (main.import_path,)
    output = os.path.join(base, output_for(args.output, name, base) or name)
    written = output if alone or args.output is not None else None
    build = _climb_build(request, goflags, strategy, stage, written, own_args)
    if not alone or not _spelled_as_go_spells_it(request, base):
        return build
    return build._replace(proof=_proof(request, goflags, main, build))


def _spelled_as_go_spells_it(request: BuildRequest, base: str) -> bool:
    """Whether go names the directories of a pattern below ``base`` as this module does
    (the plan of a pattern keeps them, and the fast path compares them with go list's):
    from the working directory with no symbolic link on the way. go takes the working
    directory from $PWD where that names it, spelled as it may be."""
    pwd = request.env.get("PWD")
    if pwd and pwd != request.cwd and os.path.isabs(pwd):
        try:
            if os.path.samefile(pwd, request.cwd):
                return False
        except OSError:
            pass  # go ignores a $PWD it cannot stat
    return os.path.realpath(base) == os.path.abspath(base)


def _goflags_if_guessable(request: BuildRequest, base: str) -> str | None:
    """GOFLAGS as go sees them, where the settings let the first build be guessed; None
    where they do not (see the module's docstring)."""
    args, env = request.go_args, request.env
    goflags = go_setting_in_effect(env, "GOFLAGS")
    if (
        goflags is None
        or env.get("GO111MODULE") == "off"
        or args.output == os.devnull
        or user_value(args, goflags, "buildmode") not in _EXE_MODES
        or go_setting_in_effect(env, "GOOS") not in ("", "linux")  # on linux GOEXE is empty
        or go_setting_in_effect(env, "GOARCH") != ""  # cross builds turn cgo off
        or _has_project_file(base)
    ):
        return None
    return goflags


def _climb_build(
    request: BuildRequest,
    goflags: str,
    strategy: Strategy,
    stage: Stage,
    output: str | None,
    package_args: tuple[str, ...],
) -> GuessedBuild:
    """A climb's first build (gostatic.builder.climb) of one package, into ``stage``."""
    writes = stage.binary(strategy.name)
    return GuessedBuild(
        args=[
            "build",
            *apply_overlay(request.go_args, goflags, strategy.overlay, writes),
            *package_args,
        ],
        env=overlay_env(request.env, strategy.overlay),
        cwd=_as_pathlib(request.cwd),
        claims=((stage, output),),
        writes=(writes,),
    )


def _group_build(
    request: BuildRequest,
    base: str,
    goflags: str,
    strategy: Strategy,
    root: str,
    names: list[str],
) -> GuessedBuild | None:
    """The one go build of every main package of a command line that names several
    (gostatic.builder.climbs), in the stage they share; only with `-o DIR/`, where each
    binary has its own output, for two or more binaries of different names."""
    args = request.go_args
    output_dir = args.output
    if output_dir is None or not output_dir.endswith("/"):
        return None
    if len(names) < 2 or len(set(names)) != len(names):
        return None
    stages = [Stage(root, _group_key(base, output_dir, args.packages), name) for name in names]
    strategy_dir = os.path.join(stages[0].strategy_dir(strategy.name), "")
    return GuessedBuild(
        args=[
            "build",
            *apply_overlay(args, goflags, strategy.overlay, strategy_dir),
            "--",
            *args.packages,
        ],
        env=overlay_env(request.env, strategy.overlay),
        cwd=request.cwd,  # as gostatic.builder.climbs spells it
        claims=tuple((s, os.path.join(base, output_dir, s.name)) for s in stages),
        writes=tuple(s.binary(strategy.name) for s in stages),
    )


def _group_key(base: str, output: str | None, packages: tuple[str, ...]) -> str:
    """The key of the stage the packages of a command line share (gostatic.builder.full)."""
    return "\n".join(["group", os.path.realpath(base), output or "", *packages])


def _proof(
    request: BuildRequest, goflags: str, main: _OneMain, build: GuessedBuild
) -> GuessProof | None:
    """What makes the guessed build of the one main package exact, where it may be: what
    the sources and the settings here tell (gostatic.builder.guessproof); go env tells
    the rest."""
    reach = main.reach
    flags = {f.name for f in (*request.go_args.flags, *goflags_entries(goflags))}
    cgo = go_setting_in_effect(request.env, "CGO_ENABLED")
    experiments = go_setting_in_effect(request.env, "GOEXPERIMENT")
    if reach is None or not reach.exact or cgo not in ("", "1") or experiments != "":
        return None
    if not flags_leave_it_exact(flags):
        return None
    return GuessProof(
        import_path=main.import_path,
        directory=os.path.abspath(main.directory),
        module=main.module.path,
        imports=main.package.imports,
        standard=reach.standard,
        strategy=NETGO.name if reach.cgo_resolvers else PLAIN.name,
        build=GoCommand(build.args, build.env, build.cwd),
    )


def _first_rung(request: BuildRequest, reach: Reach | None, pure_go: bool) -> Strategy | None:
    """The strategy the full path is expected to try first, from whether the package
    reaches net or os/user; None when that is not known. ``pure_go``: the user's tags
    already leave out their cgo files, as netgo's do."""
    if reach is None:
        return None
    reaches = reach.cgo_resolvers and not pure_go
    forced = request.options.strategy
    if forced:
        # The rungs that no toolchain can be missing for: with standard imports alone,
        # nothing skips them (gostatic.builder.rungchoice).
        strategy = strategy_named(forced)
        return strategy if strategy in (PLAIN, NETGO, CGO_OFF) else None
    # With cgo off, net and os/user have no cgo files, and plain is static.
    return NETGO if reaches and request.env.get("CGO_ENABLED") != "0" else PLAIN


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
    if name in ("", ".", "..") or (name[0] == "v" and name[1:].isdigit()):
        return None  # go.mod is untrusted: no name that leaves the stage directory
    return name


def _cache_may_steer(request: BuildRequest, cache_root: str, import_paths: list[str]) -> bool:
    """Whether the strategy cache may name one of these packages' first rung: its file
    holds the import path (a text search: no TOML read here)."""
    if request.options.no_cache:
        return False
    try:
        with open(os.path.join(cache_root, CACHE_FILE), "rb") as f:
            text = f.read()
    except FileNotFoundError:
        return False
    return any(f'"{p}"'.encode("utf-8", "surrogateescape") in text for p in import_paths)


def _as_pathlib(path: str) -> str:
    """``path`` as str(pathlib.Path(path)) spells it (pathlib, 9 ms to import, is not
    needed before the full path): no empty or "." parts."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    lead = "/" if path.startswith("/") else ""
    if path.startswith("//") and not path.startswith("///"):
        lead = "//"
    return lead + "/".join(parts) or "."
