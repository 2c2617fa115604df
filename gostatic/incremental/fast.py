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

from gostatic.builder.results import STATIC_DETAIL, Attempt, BuildReport, PackageResult
from gostatic.go.flags import (
    apply_overlay,
    check_writes_a_program,
    checks_non_main,
    overlay_env,
    sets_build_id,
)
from gostatic.incremental.buildid import build_id_in, go_build_id
from gostatic.incremental.plan import (
    names_several_packages,
    read_plan,
    request_plan_key,
    trustworthy,
)
from gostatic.incremental.stage import Stage, Stamp, file_id
from gostatic.paths import STAGE_DIR, build_cache_dir
from gostatic.records import TYPE_CHECKING, Record
from gostatic.strategies import PLAIN, is_strategy_name, strategy_named

if TYPE_CHECKING:
    from collections.abc import Mapping

    from gostatic.builder.results import BuildRequest
    from gostatic.go.session import GoSession
    from gostatic.incremental.plan import Listed, Member, Plan
    from gostatic.incremental.snapshot import Snapshot
    from gostatic.strategies import Strategy

    _GoBuild = tuple[list[str], dict[str, str]]  # a go build's arguments and environment

UP_TO_DATE_DETAIL = "up to date: proved static by an earlier build"
# glibc's static linker warns of a function that loads shared libraries at run time.
_LINKER_WARNING = "in statically linked applications requires"


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
    cache_root = build_cache_dir(request.env, request.cwd, options.cache_dir)
    key = request_plan_key(request, cache_root)
    if key is None:
        return None
    plan = read_plan(key)
    if plan is None or not trustworthy(plan, request):
        return None
    # GOFLAGS' (the command line's was checked when it was parsed).
    check_writes_a_program(request.go_args, plan.goflags)
    if sets_build_id(request.go_args, plan.goflags):
        return None  # a fixed build ID cannot tell a relinked binary from the proved one
    proved = _proved_members(plan, request, os.path.join(cache_root, STAGE_DIR))
    if proved is None:
        return None
    said = _build(request, session, plan, proved, cache_root)
    return _settle_all(request, proved, said) if said is not None else None


def _build(
    request: BuildRequest, session: GoSession, plan: Plan, proved: list[_Proved], cache_root: str
) -> str | None:
    """Run the go builds of the plan's packages; what go said, or None for the full path.

    Only the command line's own package arguments are built before go list has confirmed
    that the command line names the plan's packages: a plan may skip work, but it never
    chooses what is built.
    """
    several = names_several_packages(request.go_args.packages)
    if several:
        early, confirmed = _group_builds(request, plan, proved, cache_root)
    else:
        early, confirmed = [_single_build(request, plan, proved[0], cache_root)], []
    for argv, env in early:
        # go first: what is done while it compiles and links must not delay it.
        session.start(argv, env=env, cwd=request.cwd, background=False)
    _prepare_for_relinked(request, session, plan, proved, several)
    if several and not _names_the_planned_packages(request, session, plan):
        return None  # the command line names other packages now: the full path
    said = ""
    for argv, env in [*early, *confirmed]:
        built = session.run(argv, env=env, cwd=request.cwd, check=False)
        if not built.ok:
            return None  # the full path tells a compile error from a rung that does not apply
        said += built.stderr
    return said


def _proved_members(plan: Plan, request: BuildRequest, stage_root: str) -> list[_Proved] | None:
    """Each main package of the plan with its stage's proof; None if one has none. The
    stages are claimed (gostatic.incremental.stage): locked, and made to link again where
    the output is not the stamped copy."""
    base = os.path.join(request.cwd, request.go_args.workdir or ".")
    proved = []
    for member in plan.members:
        stage = Stage(stage_root, plan.stage_key, member.name)
        output = os.path.join(base, member.output) if member.output else None
        found = _proved_strategy(stage.claim(output), request)
        if found is None:
            return None
        proved.append(_Proved(member, stage, *found))
    return proved


def _proved_strategy(stamp: Stamp | None, request: BuildRequest) -> tuple[Stamp, Strategy] | None:
    """The stage's stamp and its strategy, when the fast path may build with that strategy
    again; None sends the build to the full path."""
    if stamp is None or not is_strategy_name(stamp.strategy):
        return None
    options = request.options
    if (options.strategy not in (None, stamp.strategy)) or (options.strict and stamp.hazards):
        return None
    strategy = strategy_named(stamp.strategy)
    if strategy.toolchain is not None:
        return None  # its CC comes from detection on the full path, never from a file
    return stamp, strategy


def _rung_env(
    request: BuildRequest, plan: Plan, strategy: Strategy, cache_root: str
) -> dict[str, str]:
    """A rung's environment as the full path gives it (gostatic.builder.climb), so that go finds
    the build IDs it proved: the strategy's settings and, for a static link of a build
    with `#cgo pkg-config` packages, pkg-config --static and its cache-key macro."""
    env = overlay_env(request.env, strategy.overlay)
    if strategy.links_statically and plan.pkg_config_directives:
        from gostatic.cgo.pkgconfig import static_pkg_config_env  # a pkg-config build only

        env.update(
            static_pkg_config_env(
                pkg_config=plan.pkg_config,
                cppflags=plan.cgo_cppflags,
                directives=plan.pkg_config_directives,
                cache_dir=cache_root,
                env=request.env,
            )
        )
    return env


def _single_build(request: BuildRequest, plan: Plan, proved: _Proved, cache_root: str) -> _GoBuild:
    """The go build of a command line that names one package: its own package arguments,
    so that the full path, which has the same, runs the very same command."""
    args, strategy = request.go_args, proved.strategy
    stage_bin = proved.stage.binary(strategy.name)
    argv = ["build", *apply_overlay(args, plan.goflags, strategy.overlay, stage_bin)]
    return [*argv, *args.packages], _rung_env(request, plan, strategy, cache_root)


def _group_builds(
    request: BuildRequest, plan: Plan, proved: list[_Proved], cache_root: str
) -> tuple[list[_GoBuild], list[_GoBuild]]:
    """The go builds of a command line that names several packages: those that may start
    at once, and those that wait until go list has confirmed the plan's packages.

    When every main package has the same strategy, one go build of the command line's
    own package arguments into the strategy's stage directory, which may start at once:
    with -o DIR/, go builds the main packages the command line names, as `go build -o
    bin/ ./...` does. Otherwise, per strategy, the main packages the plan names. And go's
    plain check of the packages that are not main, where go build gives them one, in a
    build of their own.
    """
    by_strategy: dict[str, tuple[Strategy, list[str]]] = {}
    stages: dict[str, str] = {}
    for p in proved:
        name = p.strategy.name
        by_strategy.setdefault(name, (p.strategy, []))[1].append(p.member.package)
        stages[name] = os.path.join(p.stage.strategy_dir(name), "")
    args, goflags = request.go_args, plan.goflags
    own = len(by_strategy) == 1
    early: list[_GoBuild] = []
    confirmed: list[_GoBuild] = []
    for name, (strategy, packages) in by_strategy.items():
        flags = apply_overlay(args, goflags, strategy.overlay, stages[name])
        env = _rung_env(request, plan, strategy, cache_root)
        build = (["build", *flags, "--", *(args.packages if own else packages)], env)
        (early if own else confirmed).append(build)
    libraries = [p.import_path for p in plan.listed if p.name != "main"]
    if libraries and checks_non_main(args.output):
        flags = apply_overlay(args, goflags, PLAIN.overlay, None)
        confirmed.append((["build", *flags, "--", *libraries], dict(request.env)))
    return early, confirmed


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
    if not several and _needs_graph(proved[0].strategy, request.env):
        start_full_path_queries(request, session)  # the full path will need them
    else:
        _load_for_relinked()


def _names_the_planned_packages(request: BuildRequest, session: GoSession, plan: Plan) -> bool:
    """Whether go list names exactly the packages the plan lists, now."""
    from gostatic.go.listing import listing_args, listing_env  # a single package never lists

    listing = listing_args(request.go_args)
    env = listing_env(request.env, plan.list_with_cgo)
    listed = session.run(listing, env=env, cwd=request.cwd, check=False)
    return listed.ok and _records_of(listed.stdout) == _listing_records(plan.listed)


def _listing_records(listed: tuple[Listed, ...]) -> list[str]:
    """go list's records for ``listed``, none with an error (its field is empty), in a
    stable order (gostatic.go.listing.LISTING_FORMAT)."""
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
        result = _settle(p, output, said, _needs_graph(p.strategy, request.env))
        if result is None:
            return None
        results.append(result)
    return BuildReport(tuple(results))


def _needs_graph(strategy: Strategy, env: Mapping[str, str]) -> bool:
    """Whether only the import graph can tell that a relinked binary of ``strategy`` works:
    with cgo off (the strategy's setting, else the user's CGO_ENABLED=0), a package may have
    compiled a stub (gostatic.cgo.cgooff judges)."""
    return dict(strategy.overlay.env).get("CGO_ENABLED", env.get("CGO_ENABLED")) == "0"


def _settle(
    proved: _Proved, output: str | None, go_said: str, needs_graph: bool
) -> PackageResult | None:
    """The result of a package whose proved strategy go just built into its stage: up to
    date (the output touched, as go touches it), or linked again, checked and installed
    at ``output``; None for the full path (``needs_graph``: a relinked binary takes it,
    see :func:`_needs_graph`)."""
    stamp, strategy, stage = proved.stamp, proved.strategy, proved.stage
    stage_bin = stage.binary(strategy.name)
    build_id = go_build_id(stage_bin)
    if build_id is None:
        return None
    if build_id == stamp.build_id and (output is None or file_id(output) == stamp.output):
        if output is not None:
            stage.touch(stamp, output)
        return _result(proved, stamp, up_to_date=True, go_said=go_said)
    if build_id != stamp.build_id and (needs_graph or _LINKER_WARNING in go_said):
        # With cgo off only the import graph tells a stub (gostatic.cgo.cgooff); the linker's
        # warnings are hazards (gostatic.cgo.linkhazards) the full path reads: it runs this
        # very go build again and gets its output from the session.
        return None
    if stamp.hazards and build_id == stamp.build_id:
        return None  # only the full path's reading can check a binary with hazards
    target = (output, proved.member.output or output) if output is not None else None
    if build_id == stamp.build_id:  # linked again, output replaced: the stamp's proof
        proof = _reinstall(stage, stage_bin, target, stamp._replace(output=None))
    else:
        proof = _install_relinked(stage, stage_bin, target, strategy.name, build_id)
    if proof is None:
        return None
    return _result(proved, proof, up_to_date=False, go_said=go_said)


def _reinstall(
    stage: Stage, stage_bin: str, target: tuple[str, str] | None, proof: Stamp
) -> Stamp | None:
    """Install again the binary the stage's stamp proved, copied once and the copy checked
    against ``proof`` (gostatic.incremental.install); None sends the build to the full path,
    which reads a binary the cheap check does not vouch for, and says what could not be
    written."""
    from gostatic.incremental.install import NotProved, settle

    try:
        settle(stage, stage_bin, target, proof, None, read_fully=False)
    except (OSError, NotProved):
        return None
    return proof


def _install_relinked(
    stage: Stage, stage_bin: str, target: tuple[str, str] | None, strategy: str, build_id: str
) -> Stamp | None:
    """Install a binary go linked anew (or, with no output, stamp the stage with it): copied
    beside the output once, and the copy renamed over it only if it is static with no
    hazard and has the build ID go's check left. The proof holds the needs read from the
    same copy; None sends the build to the full path (see :func:`_reinstall`)."""
    from gostatic.elf.needs import needs_of
    from gostatic.errors import ElfError
    from gostatic.incremental.install import install_proved
    from gostatic.incremental.recheck import still_static_in

    def prove(copy: Snapshot) -> Stamp | None:
        if build_id_in(copy.data) != build_id or not still_static_in(copy.data):
            return None
        try:
            needs = needs_of(copy.data, stage_bin)
        except ElfError:
            return None
        return Stamp(strategy, build_id, None, (), needs)

    try:
        return install_proved(stage, stage_bin, target, prove)
    except OSError:
        return None


def _result(proved: _Proved, proof: Stamp, *, up_to_date: bool, go_said: str) -> PackageResult:
    """The result of a package settled as ``proof`` (its stamp, or what was just checked)."""
    detail = UP_TO_DATE_DETAIL if up_to_date else STATIC_DETAIL
    return PackageResult(
        package=proved.member.package,
        output=proved.member.output,
        strategy=proved.strategy.name,
        static=True,
        hazards=proof.hazards,
        attempts=(Attempt(proved.strategy.name, "static", detail, go_said),),
        up_to_date=up_to_date,
        needs=proof.needs,
    )


def _load_for_relinked() -> None:
    """Import what a relinked binary needs next (the re-check, the needs reader and the
    install), while go links it."""
    import gostatic.elf.gofuncs
    import gostatic.elf.layout
    import gostatic.incremental.install
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


def start_full_path_queries(
    request: BuildRequest, session: GoSession, *, with_list: bool = True
) -> None:
    """Start go env and (``with_list``) go list as gostatic.builder.full will ask them, so
    that they run while the full path's modules load or a build links; the session hands
    their results over (or stops them, if the full path never asks)."""
    from gostatic.go.env import ENV_ARGS
    from gostatic.go.listing import list_args, listing_env

    session.start(ENV_ARGS, env=request.env, cwd=request.cwd)
    if not with_list:
        return
    # With the user's CGO_ENABLED=0 the full path lists with cgo on (gostatic.builder.full).
    env = listing_env(request.env, request.env.get("CGO_ENABLED") == "0")
    session.start(list_args(request.go_args), env=env, cwd=request.cwd)
