"""`gostatic build`: climb the strategy ladder for each main package until one output is
proved static, and install only that.

The core knows nothing of the CLI: it takes a :class:`BuildRequest`, reports progress
through a callback and returns a :class:`BuildReport`.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from gostatic.cache import CacheKey, StrategyCache, cache_key
from gostatic.errors import GostaticError, UsageError
from gostatic.explain import CgoAnalysis, analyse
from gostatic.gocmd import GoSession
from gostatic.goenv import GoEnv, go_env
from gostatic.goflags import apply_overlay, checks_non_main, overlay_env, sets_build_id
from gostatic.golist import listing_env
from gostatic.gooutput import with_goflags_output
from gostatic.incremental.install import settle
from gostatic.incremental.plan import (
    Listed,
    Member,
    Plan,
    names_several_packages,
    project_identity,
    request_plan_key,
    write_plan,
)
from gostatic.incremental.stage import Stage, Stamp, go_build_id
from gostatic.incremental.stage import unusable as stage_unusable
from gostatic.packages import (
    COMMAND_LINE_ARGUMENTS,
    ListedPackage,
    PackageGraph,
    exe_name,
    load_packages,
    resolve_outputs,
)
from gostatic.paths import STAGE_DIR, cache_dir
from gostatic.project import load_project, write_pins
from gostatic.results import (
    STATIC_DETAIL,
    Attempt,
    BuildReport,
    BuildRequest,
    PackageResult,
    no_progress,
)
from gostatic.rungs import musl_alternatives, non_elf_message, skip_reason, target_of, toolchain_env
from gostatic.strategies import (
    Strategy,
    is_strategy_name,
    ladder_from,
    strategy_named,
)
from gostatic.toolchains import INSTALL_HINT, Toolchains

if TYPE_CHECKING:
    from gostatic.elf import ElfFacts
    from gostatic.results import ProgressFn

# Targets whose binaries are ELF, the only format gostatic can prove static.
ELF_GOOS = frozenset(
    {"linux", "android", "freebsd", "netbsd", "openbsd", "dragonfly", "solaris", "illumos"}
)

# go build failures that mean "this strategy does not apply here", not "the code is wrong".
_STRATEGY_FAILURE = re.compile(
    r"build constraints exclude all Go files"
    r"|requires external \(cgo\) linking"
    r"|cgo is not enabled|requires cgo"
    r"|C compiler .* not found"
    r"|running \S+ failed"
    r"|collect2: error|/ld: |undefined reference to"
)

# Hazards that mean the program cannot work at all, so no static ELF makes up for them.
_BROKEN_HAZARDS = frozenset({"cgo-stub"})


@dataclass(frozen=True)
class _Candidate:
    """A stage binary proved static, ready to be installed."""

    strategy: str
    stage_bin: Path
    build_id: str
    hazards: tuple[tuple[str, str], ...]


@dataclass
class _Ladder:
    """The state of one package's climb; private to this module."""

    pkg: ListedPackage
    output: str | None
    stage: Stage  # its name is the binary's
    attempts: list[Attempt] = field(default_factory=list)
    seen: dict[tuple[tuple[str, ...], tuple[tuple[str, str], ...]], str] = field(
        default_factory=dict
    )
    compiled: bool = False
    candidates: tuple[Strategy, ...] = ()  # the rungs this climb tries, in order
    fallback: _Candidate | None = None  # static but hazardous, held while musl is tried


@dataclass
class _Climb:
    """One package's ladder, ready to climb (or refused before any rung)."""

    ladder: _Ladder
    candidates: tuple[Strategy, ...]
    stamp: Stamp | None
    cached: CacheKey | None
    refused: PackageResult | None = None


class Builder:
    """Runs the ladder for every main package of one request."""

    def __init__(
        self,
        request: BuildRequest,
        progress: ProgressFn = no_progress,
        session: GoSession | None = None,
    ) -> None:
        self.request = request
        self.progress = progress
        self.session = session if session is not None else GoSession()
        self.cwd = Path(request.cwd)
        self.base = self.cwd / (request.go_args.workdir or ".")
        self.goenv: GoEnv = go_env(request.env, self.cwd, self.session)
        if self.goenv.goos not in ELF_GOOS:
            raise UsageError(non_elf_message(self.goenv.goos))
        self.target = target_of(self.goenv, request.go_args)
        self.tools = Toolchains(request.env, self.goenv.cc)  # probed only when a rung asks
        options = request.options
        # A build ID the user fixes (-ldflags=-buildid=X) survives every relink, so it
        # cannot tell that a binary changed: then every binary is read again.
        self.fixed_build_id = sets_build_id(request.go_args, self.goenv.goflags)
        self.forced: Strategy | None = (
            strategy_named(options.strategy) if options.strategy else None
        )
        self.project = load_project(self.base.resolve())
        self.ladder: tuple[Strategy, ...] = self.project.strategies
        explicit = str(self.cwd / options.cache_dir) if options.cache_dir else None
        self.cache_root = Path(cache_dir(request.env, explicit))
        self.cache = None if options.no_cache else StrategyCache(self.cache_root)
        self.warnings: list[str] = []
        self.notes: list[str] = []
        self._cgo: dict[str, CgoAnalysis] = {}

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
        with tempfile.TemporaryDirectory(prefix="gostatic-stage-") as tmp:
            return self._run(Path(tmp))

    def _run(self, stage_root: Path) -> BuildReport:
        self.stage_root = stage_root
        args = self.request.go_args
        self.graph: PackageGraph = load_packages(
            args, self._listing_env(), self.cwd, session=self.session
        )
        listed = self.graph.named
        mains = [p for p in listed if p.is_main]
        others = [p for p in listed if not p.is_main]
        output = None  # the check writes nothing
        if not checks_non_main(args.output):
            if mains:
                others = [p for p in others if p.error is not None]  # as go build -o DIR/ does
            else:
                output = args.output  # go says there is nothing to build, in its own words
        check = self._check_command(others, output) if others else None
        if check is not None:
            # Started now and read once the main packages are built: side by side.
            self.session.start(check, env=self.request.env, cwd=self.cwd)
        outputs = resolve_outputs(mains, args, self.base, self.goenv.goexe)
        names = [exe_name(p, args.packages, self.goenv.goexe) for p in mains]
        self.group_key = self._group_key(names)
        climbs = [
            self._prepare(pkg, out, name)
            for pkg, out, name in zip(mains, outputs, names, strict=True)
        ]
        results = tuple(self._climb_all(climbs))
        check_error = self._check_error(check) if check is not None else None
        if self.cache is not None:
            self.cache.save()
            self.warnings.extend(self.cache.warnings)
            self.cache.warnings.clear()
        if self.request.options.pin:
            self._pin(results)
        if check_error is None and all(r.static for r in results):
            self._remember([c.ladder for c in climbs])
        return BuildReport(results, check_error, tuple(self.warnings), tuple(self.notes))

    def _group_key(self, names: list[str]) -> str | None:
        """The stage key of a command line that names several packages: their binaries
        share a stage directory, so that one `go build -o DIR/` serves them all on the
        fast path (gostatic.fastgroup). None when each package gets a stage of its own:
        one package named, or two binaries of the same name."""
        args = self.request.go_args
        if not names_several_packages(args.packages):
            return None
        if len(set(names)) != len(names):
            return None
        return "\n".join(["group", str(self.base.resolve()), args.output or "", *args.packages])

    def _stage_key(self, pkg: ListedPackage, output: str | None) -> str:
        if self.group_key is not None:
            return self.group_key
        if output:
            return str((self.base / output).resolve())
        return f"pkg:{self.base.resolve()}:{pkg.import_path}"

    def _remember(self, ladders: list[_Ladder]) -> None:
        """Let the next identical command take the fast path (gostatic.incremental): a plan
        of the packages go list named, or of the one package the command line names."""
        key = request_plan_key(self.request, str(self.cache_root))
        if key is None or self.stage_root.parent != self.cache_root:
            return  # not eligible, or building in a temporary stage
        if self.group_key is not None:
            listed, stage_key = self.graph.named, self.group_key
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
        )
        write_plan(key, plan)

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

    def _package_args(self, pkg: ListedPackage) -> list[str]:
        """The package arguments of this package's go build: the command line's own when it
        names just this package (so the fast path, which has no go list, runs the very same
        command), else its import path."""
        if pkg.import_path == COMMAND_LINE_ARGUMENTS or len(self.graph.named) == 1:
            return list(self.request.go_args.packages)
        return [pkg.import_path]

    def _climb_all(self, climbs: list[_Climb]) -> list[PackageResult]:
        """Each package's climb, in order. The first go build of the next packages is
        started ahead, up to one per CPU at a time: builds of different packages run side
        by side (go's build cache is made for that), and each climb takes its first
        result from the session. While they run, what a new binary needs afterwards is
        imported (see :meth:`_load_for_new_binaries`)."""
        ahead = os.cpu_count() or 1
        for climb in climbs[:ahead]:
            self._start_first_rung(climb)
        if any(self._reads_new_binary(c) for c in climbs):
            self._load_for_new_binaries()
        results = []
        for i, climb in enumerate(climbs):
            results.append(self._finish(climb))
            if i + ahead < len(climbs):
                self._start_first_rung(climbs[i + ahead])
        return results

    def _load_for_new_binaries(self) -> None:
        """Import what a new binary needs once go has built it, while go builds it:
        pyelftools to read it (the bench's pyelftools row, ~45 ms) and the strategy
        cache's writer to record what worked (filelock and tomli-w, ~20 ms at the end of
        a cold build, measured). On 2 cores that time overlaps go's instead of following
        it."""
        import gostatic.elf  # noqa: F401

        if self.cache is not None:
            self.cache.load_writer()

    def _reads_new_binary(self, climb: _Climb) -> bool:
        """Whether the climb's first rung will leave a binary no stamp vouches for (a
        guess for importing early; _try decides)."""
        if climb.refused is not None or not climb.candidates:
            return False
        stamp = climb.stamp
        return stamp is None or self.fixed_build_id or stamp.strategy != climb.candidates[0].name

    def _start_first_rung(self, climb: _Climb) -> None:
        if climb.refused is not None or not climb.candidates:
            return
        strategy, pkg = climb.candidates[0], climb.ladder.pkg
        if self._skip(pkg, strategy) is not None:
            return
        argv, env, stage_bin = self._go_build(climb.ladder, strategy)
        stage_bin.parent.mkdir(parents=True, exist_ok=True)
        self.session.start(["build", *argv, *self._package_args(pkg)], env=env, cwd=self.cwd)

    def _prepare(self, pkg: ListedPackage, output: str | None, name: str) -> _Climb:
        ladder = _Ladder(pkg, output, Stage(self.stage_root, self._stage_key(pkg, output), name))
        refused = self._refuse_plugin(ladder)
        if refused is not None:
            return _Climb(ladder, (), None, None, refused)
        stamp = ladder.stage.claim(str(self.base / output) if output else None)
        only = self.forced or self._pinned(pkg)
        cached = (
            cache_key(pkg, self.goenv, self.request.go_args)
            if only is None and self.cache is not None
            else None
        )
        if only is not None:
            candidates: tuple[Strategy, ...] = (only,)
        else:
            # The first rung to try: --strategy > pin (above), then what worked before for
            # this package and toolchain, then what the package's imports predict, then
            # the stage's last winner.
            first = (
                self._cached(cached)
                or self._on_ladder(self._predicted(pkg))
                or self._stamped(stamp)
            )
            candidates = ladder_from(first, self.ladder)
        return _Climb(ladder, candidates, stamp, cached)

    def _finish(self, climb: _Climb) -> PackageResult:
        if climb.refused is not None:
            return climb.refused
        result = self._climb(climb.ladder, climb.candidates, climb.stamp)
        cached = climb.cached
        if cached is not None and self.cache is not None:
            if result.static and result.strategy is not None:
                self.cache.record(cached, result.strategy)
            elif not result.failed_to_compile and not self.request.options.strict:
                self.cache.forget(cached)  # the entry no longer gives a static binary
        return result

    def _pinned(self, pkg: ListedPackage) -> Strategy | None:
        name = self.project.pin_for(pkg.import_path)
        return strategy_named(name) if name is not None else None

    def _cached(self, key: CacheKey | None) -> Strategy | None:
        name = self.cache.lookup(key) if self.cache is not None and key is not None else None
        return self._on_ladder(name)

    def _stamped(self, stamp: Stamp | None) -> Strategy | None:
        return self._on_ladder(stamp.strategy if stamp is not None else None)

    def _on_ladder(self, name: str | None) -> Strategy | None:
        """The strategy of that name if the project's ladder allows it (names are untrusted)."""
        if name is None or not is_strategy_name(name):
            return None
        strategy = strategy_named(name)
        return strategy if strategy in self.ladder else None

    def _climb(
        self, ladder: _Ladder, candidates: tuple[Strategy, ...], stamp: Stamp | None
    ) -> PackageResult:
        ladder.candidates = candidates
        for strategy in candidates:
            result = self._try(ladder, strategy, stamp)
            if result is not None:
                return result
        if ladder.fallback is not None:
            return self._accept(ladder, ladder.fallback, None)
        return _not_static(ladder)

    def _cgo_analysis(self, pkg: ListedPackage) -> CgoAnalysis:
        if pkg.import_path not in self._cgo:
            self._cgo[pkg.import_path] = analyse(self.graph, pkg.import_path)
        return self._cgo[pkg.import_path]

    def _predicted(self, pkg: ListedPackage) -> str | None:
        """The first rung of this project's ladder that the package graph says will work;
        the ELF check still decides."""
        return self._cgo_analysis(pkg).first_expected(self.ladder)

    def _refusal(self, pkg: ListedPackage, strategy: Strategy) -> str | None:
        """Why ``strategy`` must not be run for ``pkg``: a cgo-off build of a package with
        no pure-Go fallback passes the ELF check and is still broken."""
        if ("CGO_ENABLED", "0") not in strategy.overlay.env:
            return None
        return self._cgo_analysis(pkg).cgo_off_refusal()

    def _record(self, ladder: _Ladder, attempt: Attempt) -> None:
        ladder.attempts.append(attempt)
        self.progress(ladder.pkg.import_path, attempt)

    def _skip(self, pkg: ListedPackage, strategy: Strategy) -> str | None:
        """Why this rung is not run for ``pkg``: one that cannot apply to this target is
        skipped for that reason first."""
        skip = skip_reason(strategy, self.target, self.tools, forced=self.forced is not None)
        return skip or self._refusal(pkg, strategy)

    def _go_build(
        self, ladder: _Ladder, strategy: Strategy
    ) -> tuple[list[str], dict[str, str], Path]:
        """The go build arguments (after "build", before the packages) and environment of
        one rung, and the stage binary it writes."""
        req = self.request
        stage_bin = Path(ladder.stage.binary(strategy.name))
        argv = apply_overlay(req.go_args, self.goenv.goflags, strategy.overlay, str(stage_bin))
        env = overlay_env(req.env, strategy.overlay)
        env.update(toolchain_env(strategy, self.target, self.tools))
        return argv, env, stage_bin

    def _try(
        self, ladder: _Ladder, strategy: Strategy, stamp: Stamp | None
    ) -> PackageResult | None:
        """One rung. Returns the package's final result, or None to go on climbing."""
        refusal = self._skip(ladder.pkg, strategy)
        if refusal is not None:
            self._record(ladder, Attempt(strategy.name, "skipped", refusal))
            return None
        argv, env, stage_bin = self._go_build(ladder, strategy)
        signature = (
            tuple(argv),
            tuple(sorted((k, v) for k, v in env.items() if k in ("CGO_ENABLED", "CC"))),
        )
        if signature in ladder.seen:
            self._record(
                ladder, Attempt(strategy.name, "skipped", f"same build as {ladder.seen[signature]}")
            )
            return None
        ladder.seen[signature] = strategy.name

        stage_bin.parent.mkdir(parents=True, exist_ok=True)
        built = self.session.run(
            ["build", *argv, *self._package_args(ladder.pkg)],
            env=env,
            cwd=self.cwd,
            check=False,
        )
        if not built.ok:
            if not ladder.compiled and not _STRATEGY_FAILURE.search(built.stderr):
                attempt = Attempt(strategy.name, "build-failed", built.first_error_line)
                self._record(ladder, attempt)
                return _not_static(ladder, go_error=built.stderr)
            said = built.stderr
            self._record(
                ladder, Attempt(strategy.name, "build-failed", built.first_error_line, said)
            )
            return None
        ladder.compiled = True
        said = built.stderr

        build_id = go_build_id(stage_bin)
        if (
            stamp is not None
            and not self.fixed_build_id
            and stamp.strategy == strategy.name
            and stamp.build_id == build_id
        ):
            verified: Stamp | None = stamp  # proved static by an earlier run: no ELF read
            hazards = stamp.hazards
        else:
            verified = None
            facts = _inspect(stage_bin)
            if not facts.is_static:
                self._record(
                    ladder,
                    Attempt(strategy.name, "dynamic", facts.run_time_needs() or "dynamic", said),
                )
                return None
            hazards = tuple((h.kind, h.detail) for h in facts.hazards)
        rejection = self._rejection(hazards)
        if rejection is not None:
            self._record(ladder, Attempt(strategy.name, "static", rejection, said))
            return None
        candidate = _Candidate(strategy.name, stage_bin, build_id or "", hazards)
        if verified is None and self._set_aside_for_musl(ladder, strategy, candidate):
            return None
        self._record(ladder, Attempt(strategy.name, "static", STATIC_DETAIL, said))
        return self._accept(ladder, candidate, verified)

    def _accept(
        self, ladder: _Ladder, candidate: _Candidate, verified: Stamp | None
    ) -> PackageResult:
        """Install a proved-static stage binary; ``verified`` is the stamp that proved it."""
        stamp = Stamp(candidate.strategy, candidate.build_id, None, candidate.hazards)
        wrote = self._install(ladder, candidate.stage_bin, stamp, verified)
        if verified is None:
            ladder.stage.discard_others(candidate.strategy)
        return PackageResult(
            package=ladder.pkg.import_path,
            output=ladder.output,
            strategy=candidate.strategy,
            static=True,
            hazards=candidate.hazards,
            attempts=tuple(ladder.attempts),
            up_to_date=not wrote,
        )

    def _rejection(self, hazards: tuple[tuple[str, str], ...]) -> str | None:
        """Why a static binary is still not taken, or None to take it."""
        broken = [(k, d) for k, d in hazards if k in _BROKEN_HAZARDS]
        if broken:
            return "rejected: " + "; ".join(f"{k}: {d}" for k, d in broken)
        if hazards and self.request.options.strict:
            return "rejected by --strict: " + "; ".join(f"{k}: {d}" for k, d in hazards)
        return None

    def _set_aside_for_musl(
        self, ladder: _Ladder, strategy: Strategy, candidate: _Candidate
    ) -> bool:
        """Hold a glibc binary that carries the NSS loader while a musl rung is tried.

        glibc's NSS loader dlopen()s libnss_*.so for user and host lookups, which fails in
        an empty root; musl has no such loader. If no musl rung links the program, the held
        binary is installed after all (see _climb), hazard and warning included.
        """
        if strategy.toolchain is not None or not any(k == "nss" for k, _ in candidate.hazards):
            return False
        if ladder.fallback is not None:
            return False
        tried = {a.strategy for a in ladder.attempts}
        alternatives = musl_alternatives(ladder.candidates, self.target, self.tools)
        untried = [s.name for s in alternatives if s.name not in tried]
        if not untried:
            self.warnings.append(
                f"{ladder.pkg.import_path}: glibc's NSS loader is linked in; with a musl "
                f"toolchain gostatic links the program without it ({INSTALL_HINT})"
            )
            return False
        ladder.fallback = candidate
        detail = f"set aside: nss hazard; trying {', '.join(untried)} first"
        self._record(ladder, Attempt(strategy.name, "static", detail))
        return True

    def _refuse_plugin(self, ladder: _Ladder) -> PackageResult | None:
        """A program that imports plugin is refused, or built with a loud warning if forced."""
        from gostatic import pluginuse

        package = ladder.pkg.import_path
        if not pluginuse.imports_plugin(self.graph, package):
            return None
        if self.forced is not None:
            self.warnings.append(pluginuse.forced_warning(package, self.forced.name))
            return None
        return PackageResult(
            package=package,
            output=ladder.output,
            strategy=None,
            static=False,
            hazards=(("plugin", pluginuse.REFUSAL),),
            attempts=(),
        )

    def _listing_env(self) -> Mapping[str, str]:
        """The environment to list packages in (see :meth:`_lists_with_cgo`)."""
        return listing_env(self.request.env, self._lists_with_cgo())

    def _lists_with_cgo(self) -> bool:
        """Whether packages are listed with cgo on where go turned it off itself.

        Go turns cgo off by default when cross-compiling or when it finds no C compiler, and
        a package whose files all import "C" then lists as "build constraints exclude all
        Go files" instead of as the main package that zig-static (or a cross CC) builds.
        A CGO_ENABLED the user set is left alone.
        """
        return "CGO_ENABLED" not in self.request.env and not self.goenv.cgo_enabled

    def _install(self, ladder: _Ladder, stage_bin: Path, new: Stamp, old: Stamp | None) -> bool:
        """Put a verified stage binary at the output and stamp it; False if already there."""
        output = (str(self.base / ladder.output), ladder.output) if ladder.output else None
        return settle(ladder.stage, str(stage_bin), output, new, old, read_fully=True)


def _not_static(ladder: _Ladder, go_error: str | None = None) -> PackageResult:
    """The result of a climb that installed nothing (``go_error``: the code did not compile)."""
    return PackageResult(
        package=ladder.pkg.import_path,
        output=ladder.output,
        strategy=None,
        static=False,
        hazards=(),
        attempts=tuple(ladder.attempts),
        go_error=go_error,
    )


def _inspect(path: Path) -> ElfFacts:
    from gostatic.elf import inspect_elf  # pyelftools is only imported when a binary changed

    return inspect_elf(path)


def build(
    request: BuildRequest, progress: ProgressFn = no_progress, session: GoSession | None = None
) -> BuildReport:
    """Build every main package named by the request; raise only for errors that stop all.

    ``session`` carries the go commands the fast path already ran or started (see
    gostatic.fastpath), so that none of them runs twice.
    """
    try:
        return Builder(with_goflags_output(request), progress, session).run()
    except OSError as exc:
        raise GostaticError(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")) from None
