"""The fast path: one `go build` (and, for a pattern, one `go list`) when an earlier run
already settled the command line.

A Makefile runs `gostatic build` on every target, most of them up to date, the rest
usually changed in a way that keeps the same strategy working. The full path asks go
three things (go env, go list -deps, go build). When this exact command line, in this
directory and environment, already produced verified static binaries, its plan
(gostatic.incremental.plan) remembers what go list and go env said, and the fast path
runs only the builds, each package with the strategy its stamp proved, into its stage:

- if go's up-to-date check leaves a stage binary with the build ID the stamp says was
  proved static, and the output is still gostatic's copy, nothing has changed;
- if go relinked, the new binary is re-checked (gostatic.incremental.recheck, stricter
  than the full path's reading and without its pyelftools import) and, when it is static
  with no hazard, installed (except for `cgo-off`, whose safety the import graph decides).

A single package is built by the command line's own `go build`, into its stage file. A
command line that names several packages (`./...`) is checked against go list on every
run (`go list -find`, for import path, name and directory only: the bench's `./...` rows
measure what it adds); while it runs, each strategy's main packages are built in one
`go build -o STAGE/STRATEGY/`, as go builds `-o bin/ ./...`, so that go's up-to-date check
and its build cache serve them all in one process; packages that are not main get go
build's plain check where go build gives them one, in a build of their own.

Anything else (no plan, other packages named, a failed build, a dynamic or hazardous
binary) falls through to the full path, which re-derives every fact.
"""

from __future__ import annotations

import os

from gostatic.goflags import apply_overlay, checks_non_main, overlay_env, sets_build_id
from gostatic.incremental.plan import (
    names_several_packages,
    read_plan,
    request_plan_key,
    trustworthy,
)
from gostatic.incremental.stage import Stage, Stamp, file_id, go_build_id
from gostatic.paths import STAGE_DIR, cache_dir
from gostatic.records import Record
from gostatic.results import STATIC_DETAIL, Attempt, BuildReport, PackageResult
from gostatic.strategies import PLAIN, is_strategy_name, strategy_named

TYPE_CHECKING = False  # see gostatic.records: typing is not imported on the build path
if TYPE_CHECKING:
    from gostatic.gocmd import GoSession
    from gostatic.incremental.plan import Listed, Member, Plan
    from gostatic.results import BuildRequest
    from gostatic.strategies import Strategy

    _GoBuild = tuple[list[str], dict[str, str]]  # a go build's arguments and environment

UP_TO_DATE_DETAIL = "up to date: proved static by an earlier build"


class _Proved(Record):
    """A main package of the plan, its stage, and what the stage's stamp proved there."""

    member: Member
    stage: Stage
    stamp: Stamp
    strategy: Strategy


def fast_build(request: BuildRequest, session: GoSession) -> BuildReport | None:
    """The report of a build that the plan settles, or None for the full path.

    Whatever go ran here stays in ``session``, so the full path never runs it twice.
    """
    options = request.options
    explicit = os.path.join(request.cwd, options.cache_dir) if options.cache_dir else None
    cache_root = cache_dir(request.env, explicit)
    key = request_plan_key(request, cache_root)
    if key is None:
        return None
    plan = read_plan(key)
    if plan is None or not trustworthy(plan, request):
        return None
    if sets_build_id(request.go_args, plan.goflags):
        return None  # a fixed build ID cannot tell a relinked binary from the proved one
    proved = _proved_members(plan, request, os.path.join(cache_root, STAGE_DIR))
    if proved is None:
        return None
    several = names_several_packages(request.go_args.packages)
    if several:
        builds = _group_builds(request, plan, proved)
    else:
        builds = [_single_build(request, plan, proved[0])]
    for argv, env in builds:
        # go first: what is done while it compiles and links must not delay it.
        session.start(argv, env=env, cwd=request.cwd, background=False)
    _prepare_for_relinked(request, session, plan, proved, several)
    if several and not _names_the_planned_packages(request, session, plan):
        return None  # the command line names other packages now: the full path
    said = ""
    for argv, env in builds:
        built = session.run(argv, env=env, cwd=request.cwd, check=False)
        if not built.ok:
            return None  # the full path tells a compile error from a rung that does not apply
        said += built.stderr
    return _settle_all(request, proved, said)


def _proved_members(plan: Plan, request: BuildRequest, stage_root: str) -> list[_Proved] | None:
    """Each main package of the plan with its stage's proof; None if one has none."""
    proved = []
    for member in plan.members:
        stage = Stage(stage_root, plan.stage_key, member.name)
        found = _proved_strategy(stage, request)
        if found is None:
            return None
        proved.append(_Proved(member, stage, *found))
    return proved


def _proved_strategy(stage: Stage, request: BuildRequest) -> tuple[Stamp, Strategy] | None:
    """The stage's stamp and its strategy, when the fast path may build with that strategy
    again; None sends the build to the full path."""
    stamp = stage.read_stamp()
    if stamp is None or not is_strategy_name(stamp.strategy):
        return None
    options = request.options
    if (options.strategy not in (None, stamp.strategy)) or (options.strict and stamp.hazards):
        return None
    strategy = strategy_named(stamp.strategy)
    if strategy.toolchain is not None:
        return None  # its CC comes from detection on the full path, never from a file
    return stamp, strategy


def _single_build(request: BuildRequest, plan: Plan, proved: _Proved) -> _GoBuild:
    """The go build of a command line that names one package: its own package arguments,
    so that the full path, which has the same, runs the very same command."""
    args, strategy = request.go_args, proved.strategy
    stage_bin = proved.stage.binary(strategy.name)
    argv = ["build", *apply_overlay(args, plan.goflags, strategy.overlay, stage_bin)]
    return [*argv, *args.packages], overlay_env(request.env, strategy.overlay)


def _group_builds(request: BuildRequest, plan: Plan, proved: list[_Proved]) -> list[_GoBuild]:
    """The go builds of a command line that names several packages: per strategy, its main
    packages into the strategy's stage directory; and go's plain check of the packages
    that are not main, where go build gives them one, in a build of their own (with
    -o DIR/, go builds main packages only)."""
    by_strategy: dict[str, tuple[Strategy, list[str]]] = {}
    stages: dict[str, str] = {}
    for p in proved:
        name = p.strategy.name
        by_strategy.setdefault(name, (p.strategy, []))[1].append(p.member.package)
        stages[name] = os.path.join(p.stage.strategy_dir(name), "")
    args, goflags = request.go_args, plan.goflags
    builds = []
    for name, (strategy, packages) in by_strategy.items():
        flags = apply_overlay(args, goflags, strategy.overlay, stages[name])
        builds.append(
            (["build", *flags, "--", *packages], overlay_env(request.env, strategy.overlay))
        )
    libraries = [p.import_path for p in plan.listed if p.name != "main"]
    if libraries and checks_non_main(args.output):
        flags = apply_overlay(args, goflags, PLAIN.overlay, None)
        builds.append((["build", *flags, "--", *libraries], dict(request.env)))
    return builds


def _prepare_for_relinked(
    request: BuildRequest, session: GoSession, plan: Plan, proved: list[_Proved], several: bool
) -> None:
    """When a package's sources changed, start what a relinked binary needs next, while go
    builds it: the full path's go queries for a single package that only the import graph
    can settle (see :func:`_needs_graph`), else the re-check's and the install's imports."""
    directories = {p.import_path: p.dir for p in plan.listed}
    if not any(
        _sources_changed_since(directories[p.member.package], p.stage.stamped_at()) for p in proved
    ):
        return
    if not several and _needs_graph(proved[0].strategy):
        start_full_path_queries(request, session)  # the full path will need them
    else:
        _load_for_relinked()


def _names_the_planned_packages(request: BuildRequest, session: GoSession, plan: Plan) -> bool:
    """Whether go list names exactly the packages the plan lists, now."""
    from gostatic.golist import listing_args, listing_env  # a single package never lists

    listing = listing_args(request.go_args)
    env = listing_env(request.env, plan.list_with_cgo)
    listed = session.run(listing, env=env, cwd=request.cwd, check=False)
    return listed.ok and _records_of(listed.stdout) == _listing_records(plan.listed)


def _listing_records(listed: tuple[Listed, ...]) -> list[str]:
    """go list's records for ``listed``, none with an error (its field is empty), in a
    stable order (gostatic.golist.LISTING_FORMAT)."""
    return sorted(f"{p.import_path}\0{p.name}\0{p.dir}\0" for p in listed)


def _records_of(stdout: str) -> list[str]:
    """The records go list printed: each ends with NUL and go's newline."""
    return sorted(r for r in stdout.split("\0\n") if r)


def _settle_all(request: BuildRequest, proved: list[_Proved], said: str) -> BuildReport | None:
    """The report of the packages go just built, each settled; None for the full path."""
    base = os.path.join(request.cwd, request.go_args.workdir or ".")
    results = []
    for p in proved:
        output = os.path.join(base, p.member.output) if p.member.output else None
        result = _settle(p, output, said)
        if result is None:
            return None
        results.append(result)
    return BuildReport(tuple(results))


def _needs_graph(strategy: Strategy) -> bool:
    """Whether only the import graph can tell that a relinked binary of ``strategy`` works:
    with cgo off, a package may have compiled a stub (gostatic.explain decides)."""
    return ("CGO_ENABLED", "0") in strategy.overlay.env


def _settle(proved: _Proved, output: str | None, go_said: str) -> PackageResult | None:
    """The result of a package whose proved strategy go just built into its stage: up to
    date, or relinked, re-checked and installed at ``output``; None for the full path."""
    stamp, strategy, stage = proved.stamp, proved.strategy, proved.stage
    stage_bin = stage.binary(strategy.name)
    build_id = go_build_id(stage_bin)
    if build_id is None:
        return None
    same_build = build_id == stamp.build_id
    if same_build and (output is None or file_id(output) == stamp.output):
        detail, hazards, rebuilt = UP_TO_DATE_DETAIL, stamp.hazards, False
    else:
        # Relinked, or the output was replaced behind gostatic's back (restored from a CI
        # artifact, say): the stage binary is re-checked and installed again, either way.
        if not same_build and _needs_graph(strategy):
            return None
        try:
            if not _install_if_static(stage_bin, output):
                return None  # the full path reads it with pyelftools and says why
            installed = file_id(output) if output is not None else None
            stage.write_stamp(Stamp(strategy.name, build_id, installed, ()))
        except OSError:
            return None  # the full path says what could not be written, in one line
        detail, hazards, rebuilt = STATIC_DETAIL, (), True
    return PackageResult(
        package=proved.member.package,
        output=proved.member.output,
        strategy=strategy.name,
        static=True,
        hazards=hazards,
        attempts=(Attempt(strategy.name, "static", detail, go_said),),
        up_to_date=not rebuilt,
    )


def _install_if_static(stage_bin: str, output: str | None) -> bool:
    """Re-check a relinked binary (gostatic.incremental.recheck) and, if it is static with
    no hazard, put it at ``output``. The copy beside the output is made first and is what
    is checked: the bytes checked are the bytes installed, and the copy is written out to
    disk while the check runs."""
    from gostatic.incremental.recheck import still_static  # struct and mmap: after a relink

    if output is None:
        return still_static(stage_bin)
    from gostatic.atomic import copy_beside, discard, put_in_place

    copy = copy_beside(stage_bin, output)
    try:
        static = still_static(copy)
    except BaseException:
        discard(copy)
        raise
    if not static:
        discard(copy)
        return False
    put_in_place(copy, output)
    return True


def _load_for_relinked() -> None:
    """Import what a relinked binary needs next (the re-check and the install), while go
    links it."""
    import gostatic.atomic
    import gostatic.incremental.recheck  # noqa: F401


def _sources_changed_since(directory: str, stamped_at: int | None) -> bool:
    """Whether a .go file of the package is newer than the last proof: only a hint for
    starting work early (a changed dependency is caught by the build ID all the same)."""
    if stamped_at is None:
        return True
    try:
        with os.scandir(directory) as entries:
            return any(
                e.name.endswith(".go") and e.stat().st_mtime_ns > stamped_at for e in entries
            )
    except OSError:
        return True


def start_full_path_queries(request: BuildRequest, session: GoSession) -> None:
    """Start go env and go list as gostatic.fullbuild will ask them, so that they run while
    the full path's modules load or a build links; the session hands their results over
    (or stops them, if the full path never asks)."""
    from gostatic.goenv import ENV_ARGS
    from gostatic.golist import list_args

    session.start(ENV_ARGS, env=request.env, cwd=request.cwd)
    session.start(list_args(request.go_args), env=request.env, cwd=request.cwd)
