"""The full path of `gostatic build`: go env, go list -deps, then each main package's climb
(gostatic.builder.climb) from the rungs gostatic.builder.rungchoice puts first; the strategy
cache, the pins and the fast path's plans are updated from the results.

It knows nothing of the CLI: it takes a :class:`BuildRequest`, reports progress through a
callback and returns a :class:`BuildReport`. gostatic.builder.pipeline calls it when the fast
path cannot settle a request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from gostatic.builder.climb import Climb, ClimbSetting
from gostatic.builder.climbs import climb_all
from gostatic.builder.graphfacts import GraphFacts
from gostatic.builder.outputcheck import check_output_gets_a_program
from gostatic.builder.results import BuildReport, BuildRequest, PackageResult, no_progress
from gostatic.builder.rungchoice import choose_rungs
from gostatic.cache import StrategyCache, cache_key
from gostatic.elf.hazard import Hazard
from gostatic.errors import GostaticError, UsageError
from gostatic.go.env import GoEnv, go_env
from gostatic.go.flags import apply_overlay, check_writes_a_program, checks_non_main, sets_build_id
from gostatic.go.listing import listing_env
from gostatic.go.packages import (
    COMMAND_LINE_ARGUMENTS,
    ListedPackage,
    PackageGraph,
    exe_name,
    load_packages,
    resolve_outputs,
)
from gostatic.go.session import GoSession
from gostatic.incremental.plan import (
    Listed,
    Member,
    Plan,
    names_several_packages,
    project_identity,
    request_plan_key,
    write_plan,
)
from gostatic.incremental.stage import Stage
from gostatic.incremental.stage import unusable as stage_unusable
from gostatic.incremental.stagecap import cache_limit, trim_stage
from gostatic.incremental.stageindex import record_members
from gostatic.paths import STAGE_DIR, build_cache_dir
from gostatic.project import load_project, write_pins
from gostatic.records import TYPE_CHECKING, Record
from gostatic.strategies import strategy_named
from gostatic.targets import ELF_GOOS, non_elf_message, target_of
from gostatic.toolchains import Toolchains

if TYPE_CHECKING:
    from gostatic.builder.guessproof import GuessProof
    from gostatic.builder.results import ProgressFn


class _Listing(Record):
    """What one run of the climbs works from: the packages the command line names, the
    stage directory, the stage key the packages share when it names several, and the
    facts of their graph."""

    named: tuple[ListedPackage, ...]
    stage_root: Path
    group_key: str | None
    facts: GraphFacts


def full_build(
    request: BuildRequest,
    progress: ProgressFn = no_progress,
    session: GoSession | None = None,
    proof: GuessProof | None = None,
) -> BuildReport:
    """Build every main package named by the request; raise only for errors that stop all.

    ``session`` carries the go commands the fast path or the head start already ran or
    started (see gostatic.incremental.fast), so that none of them runs twice; ``proof``,
    the head start's, may spare the build its go list (gostatic.builder.guessproof).
    """
    session = session if session is not None else GoSession()
    try:
        goenv = go_env(request.env, Path(request.cwd), session)
        check_writes_a_program(request.go_args, goenv.goflags)
        if goenv.goos not in ELF_GOOS:
            raise UsageError(non_elf_message(goenv.goos))
        return Builder(request, goenv, progress, session, proof).run()
    except OSError as exc:
        raise GostaticError(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")) from None


class Builder:
    """Orchestrates the full path of one request: lists the packages, starts go's check of
    the non-main ones, runs each main package's climb, and records what worked."""

    def __init__(
        self,
        request: BuildRequest,
        goenv: GoEnv,
        progress: ProgressFn = no_progress,
        session: GoSession | None = None,
        proof: GuessProof | None = None,
    ) -> None:
        self.request = request
        self.proof = proof
        self.goenv = goenv
        self.session = session if session is not None else GoSession()
        self.cwd = Path(request.cwd)
        self.base = self.cwd / (request.go_args.workdir or ".")
        options = request.options
        self.forced = options.strategy or None  # the only rung, if given
        self.setting = ClimbSetting(
            request=request,
            goenv=goenv,
            target=target_of(goenv, request.go_args),
            tools=Toolchains(request.env, goenv.cc),
            session=self.session,
            progress=progress,
            forced=self.forced is not None,
            fixed_build_id=sets_build_id(request.go_args, goenv.goflags),
        )
        self.project = load_project(self.base.resolve())
        self.ladder = self.project.strategies
        self.cache_root = Path(build_cache_dir(request.env, request.cwd, options.cache_dir))
        self.cache = None if options.no_cache else StrategyCache(self.cache_root)
        self.warnings: list[str] = []
        self.notes: list[str] = []

    def run(self) -> BuildReport:
        if self.cache is not None:
            self.cache.load()
        root = self.cache_root / STAGE_DIR
        why = stage_unusable(root)
        if why is None:
            return self._run(root)
        # An unwritable or full cache costs speed (every build relinks), never the build.
        self.warnings.append(
            f"cache directory {root} {why}; building without it (every build relinks)"
        )
        import tempfile  # only here: with random, a few ms on every cold build

        with tempfile.TemporaryDirectory(prefix="gostatic-stage-") as tmp:
            return self._run(Path(tmp))

    def _run(self, stage_root: Path) -> BuildReport:
        args = self.request.go_args
        named, facts = self._named_packages()
        mains = [p for p in named if p.is_main]
        check_output_gets_a_program(named, args, self.goenv.goflags, self.base)
        check = self._start_check(named, mains)
        outputs = resolve_outputs(mains, len(named), args, self.base, self.goenv.goexe)
        names = [exe_name(p, args.packages, self.goenv.goexe) for p in mains]
        listing = _Listing(named, stage_root, self._group_key(names), facts)
        prepared = [
            self._prepare(listing, pkg, out, name)
            for pkg, out, name in zip(mains, outputs, names, strict=True)
        ]
        results = tuple(
            climb_all(
                prepared,
                shared_stage=listing.group_key is not None,
                whole_line=self._whole_line(listing),
                settled=self._settled,
                while_building=lambda: self._while_building(prepared),
            )
        )
        check_error = self._check_error(check) if check is not None else None
        if self.cache is not None:
            self.cache.save()
            self.warnings.extend(self.cache.warnings)
            self.cache.warnings.clear()
        if self.request.options.pin:
            self._pin(results)
        climbs = [p for p in prepared if isinstance(p, Climb)]
        if check_error is None and all(r.static for r in results):
            self._remember(listing, climbs)
        if listing.stage_root.parent == self.cache_root:
            self._tidy_stage(listing.stage_root, climbs, results)
        return BuildReport(results, check_error, tuple(self.warnings), tuple(self.notes))

    def _named_packages(self) -> tuple[tuple[ListedPackage, ...], GraphFacts]:
        """The packages the command line names, and the facts of their graph: go list's,
        or the head start's where its proof holds and its build succeeded
        (gostatic.builder.guessproof), and go list's then only if a rung asks."""
        proof = self.proof
        if proof is not None and not (proof.holds(self.goenv) and self._guess_built(proof)):
            proof = None
        facts = GraphFacts(
            self._list_graph, self.request, self.goenv, self.session, self.cache_root, proof
        )
        named = (proof.listed(),) if proof is not None else facts.graph.named
        return named, facts

    def _guess_built(self, proof: GuessProof) -> bool:
        """Whether the guessed build succeeded (what a new binary needs next is imported
        while it runs)."""
        self._load_for_new_binary()
        build = proof.build
        return self.session.run(build.args, env=build.env, cwd=build.cwd, check=False).ok

    def _list_graph(self) -> PackageGraph:
        env = self._listing_env()
        return load_packages(self.request.go_args, env, self.cwd, session=self.session)

    def _start_check(
        self, named: tuple[ListedPackage, ...], mains: list[ListedPackage]
    ) -> list[str] | None:
        """Start go build's check of the non-main packages the command line names, as go
        build checks them; it runs beside the climbs and is read once they are done."""
        args = self.request.go_args
        others = [p for p in named if not p.is_main]
        output = None  # the check writes nothing
        if not checks_non_main(args.output):
            if mains:
                others = [p for p in others if p.error is not None]  # as go build -o DIR/ does
            else:
                output = args.output  # go says there is nothing to build, in its own words
        if not others:
            return None
        check = self._check_command(others, output)
        self.session.start(check, env=self.request.env, cwd=self.cwd)
        return check

    def _group_key(self, names: list[str]) -> str | None:
        """The stage key of a command line that names several packages: their binaries
        share a stage directory, so that one `go build -o DIR/` serves them all on the
        fast path (gostatic.incremental.fast). None when each package gets a stage of its own:
        one package named, or two binaries of the same name."""
        args = self.request.go_args
        if not names_several_packages(args.packages):
            return None
        if len(set(names)) != len(names):
            return None
        return "\n".join(["group", str(self.base.resolve()), args.output or "", *args.packages])

    def _whole_line(self, listing: _Listing) -> tuple[str, ...] | None:
        """The command line's package arguments, for one go build of every main package
        they name (gostatic.builder.climbs); None when go would refuse them: go build stops at a
        package that go list could not load, where its check names it (:meth:`_start_check`)."""
        if any(p.error is not None for p in listing.named):
            return None
        return self.request.go_args.packages

    def _stage_key(self, listing: _Listing, pkg: ListedPackage, output: str | None) -> str:
        if listing.group_key is not None:
            return listing.group_key
        if output:
            return str((self.base / output).resolve())
        return f"pkg:{self.base.resolve()}:{pkg.import_path}"

    def _remember(self, listing: _Listing, ladders: list[Climb]) -> None:
        """Let the next identical command take the fast path (gostatic.incremental): a plan
        of the packages go list named, or of the one package the command line names."""
        key = request_plan_key(self.request, str(self.cache_root))
        if key is None or listing.stage_root.parent != self.cache_root:
            return  # not eligible, or building in a temporary stage
        if listing.group_key is not None:
            listed, stage_key = listing.named, listing.group_key
            if any(p.error is not None for p in listed):
                return  # go list would tell the next run the same: the plan never matches
            if any(p.module is None for p in listed):
                # Outside module mode go names a binary example.com/cmd/v2 "v2", not as
                # exe_name does, and the fast path lets go name the binaries it builds.
                return
        elif len(ladders) == 1:
            listed, stage_key = (ladders[0].pkg,), ladders[0].stage.key
        else:
            return
        plan = Plan(
            goflags=self.goenv.goflags,
            project=project_identity(self.project.path),
            list_with_cgo=self._lists_with_cgo(),
            stage_key=stage_key,
            listed=tuple(Listed(p.import_path, p.name, p.dir) for p in listed),
            members=tuple(Member(ld.pkg.import_path, ld.stage.name, ld.output) for ld in ladders),
            pkg_config_directives=listing.facts.pkg_config_directives,
            pkg_config=self.goenv.pkg_config,
            cgo_cppflags=self.goenv.cgo_cppflags,
        )
        write_plan(key, plan)

    def _tidy_stage(
        self, stage_root: Path, climbs: list[Climb], results: tuple[PackageResult, ...]
    ) -> None:
        """Record which package each stage binary is (for `cache clear PACKAGE`), then, if
        go wrote something new, keep the stage under its cap (gostatic.incremental.stagecap)
        without removing a stage directory this build uses."""
        members: dict[str, dict[str, str]] = {}
        for climb in climbs:
            members.setdefault(climb.stage.dir, {})[climb.stage.name] = climb.pkg.import_path
        for stage_dir, named in members.items():
            record_members(stage_dir, named)
        if all(r.up_to_date or not r.attempts for r in results):
            return
        limit, warning = cache_limit(self.request.env)
        if warning is not None:
            self.warnings.append(warning)
        trim_stage(str(stage_root), limit, {os.path.basename(d) for d in members})

    def _pin(self, results: tuple[PackageResult, ...]) -> None:
        pins = {
            r.package: r.strategy
            for r in results
            if r.static and r.strategy and r.package != COMMAND_LINE_ARGUMENTS
        }
        if any(r.package == COMMAND_LINE_ARGUMENTS for r in results):
            self.warnings.append("packages named by .go files have no import path to pin")
        if not pins:
            return
        path = self.project.path
        if write_pins(self.project, pins, self.cache_root / "pins.lock"):
            self.notes.append(f"pinned {len(pins)} package(s) in {path}")
        else:
            self.notes.append(f"{path} already pins these strategies")

    def _check_command(self, packages: list[ListedPackage], output: str | None) -> list[str]:
        """Non-main packages (or ones go could not load) get go build's plain check."""
        argv = apply_overlay(
            self.request.go_args, self.goenv.goflags, strategy_named("plain").overlay, output
        )
        return ["build", *argv, *(p.import_path for p in packages if p.import_path)]

    def _check_error(self, command: list[str]) -> str | None:
        result = self.session.run(command, env=self.request.env, cwd=self.cwd, check=False)
        return None if result.ok else result.stderr

    def _package_args(self, listing: _Listing, pkg: ListedPackage) -> list[str]:
        """The package arguments of this package's go build: the command line's own when it
        names just this package (so the fast path, which has no go list, runs the very same
        command), else its import path."""
        if pkg.import_path == COMMAND_LINE_ARGUMENTS or len(listing.named) == 1:
            return list(self.request.go_args.packages)
        return [pkg.import_path]

    def _while_building(self, prepared: list[Climb | PackageResult]) -> None:
        """Import what a new binary needs once go has built it, while go builds it (see
        :meth:`_load_for_new_binary`)."""
        if any(isinstance(c, Climb) and c.reads_new_binary() for c in prepared):
            self._load_for_new_binary()

    def _load_for_new_binary(self) -> None:
        """Import the re-check that reads a new binary (gostatic.incremental.recheck;
        pyelftools only if it does not clear the binary) and the strategy cache's writer
        (tomli-w). On 2 cores that time overlaps go's instead of following it."""
        import gostatic.incremental.recheck  # noqa: F401

        if self.cache is not None:
            self.cache.load_writer()

    def _prepare(
        self, listing: _Listing, pkg: ListedPackage, output: str | None, name: str
    ) -> Climb | PackageResult:
        """The climb of one package, or its result if it is refused before any rung."""
        stage = Stage(listing.stage_root, self._stage_key(listing, pkg, output), name)
        refused = self._refuse_plugin(listing.facts, pkg, output)
        if refused is not None:
            return refused
        stamp = stage.claim(str(self.base / output) if output else None)
        pinned = self.project.pin_for(pkg.import_path)
        # The cache takes part unless the rung is given (--strategy, or a pin).
        key = (
            cache_key(pkg, self.goenv, self.request.go_args)
            if self.forced is None and pinned is None and self.cache is not None
            else None
        )
        candidates = choose_rungs(
            self.ladder,
            forced=self.forced,
            pinned=pinned,
            cached=self.cache.lookup(key) if self.cache is not None and key is not None else None,
            predicted=listing.facts.first_expected(pkg.import_path, self.ladder),
            stamped=stamp.strategy if stamp is not None else None,
        )
        return Climb(
            self.setting,
            pkg,
            output,
            stage,
            stamp,
            candidates,
            self._package_args(listing, pkg),
            listing.facts,
            key,
        )

    def _settled(self, climb: Climb, result: PackageResult) -> PackageResult:
        """Record a climb's result in the strategy cache and keep its warnings."""
        self.warnings.extend(climb.warnings)
        cached = climb.cache_key
        if cached is not None and self.cache is not None:
            if result.static and result.strategy is not None:
                self.cache.record(cached, result.strategy)
            elif not result.failed_to_compile and not self.request.options.strict:
                self.cache.forget(cached)  # the entry no longer gives a static binary
        return result

    def _refuse_plugin(
        self, facts: GraphFacts, pkg: ListedPackage, output: str | None
    ) -> PackageResult | None:
        """A program that imports plugin is refused, or built with a loud warning if forced."""
        package = pkg.import_path
        if not facts.imports_plugin(package):
            return None
        from gostatic import pluginuse

        if self.forced is not None:
            self.warnings.append(pluginuse.forced_warning(package, self.forced))
            return None
        return PackageResult(
            package=package,
            output=output,
            strategy=None,
            static=False,
            hazards=(Hazard("plugin", pluginuse.REFUSAL),),
            attempts=(),
        )

    def _listing_env(self) -> Mapping[str, str]:
        """The environment to list packages in (see :meth:`_lists_with_cgo`)."""
        return listing_env(self.request.env, self._lists_with_cgo())

    def _lists_with_cgo(self) -> bool:
        """Whether packages are listed with cgo on where the build has it off.

        Go turns cgo off by default when cross-compiling or when it finds no C compiler, and
        a package whose files all import "C" then lists as "build constraints exclude all
        Go files" instead of as the main package that zig-static (or a cross CC) builds.
        With CGO_ENABLED=0 set by the user, only a listing with cgo on shows the cgo
        packages whose build without cgo is a stub (gostatic.cgo.cgooff judges them), and
        which rungs are not run against that setting (gostatic.builder.climb).
        """
        return not self.goenv.cgo_enabled
