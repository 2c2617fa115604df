"""`gostatic build`: climb the strategy ladder for each main package until one output is
proved static, and install only that.

The core knows nothing of the CLI: it takes a :class:`BuildRequest`, reports progress
through a callback and returns a :class:`BuildReport`.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from gostatic.cache import STAGE_DIR, CacheKey, StrategyCache, cache_key
from gostatic.errors import EXIT_FAILED, EXIT_NOT_STATIC, EXIT_OK, GostaticError, UsageError
from gostatic.gocmd import GoEnv, go_env, run_go
from gostatic.goflags import GoBuildArgs, apply_overlay, overlay_env
from gostatic.packages import COMMAND_LINE_ARGUMENTS, ListedPackage, list_packages, resolve_outputs
from gostatic.paths import cache_dir
from gostatic.project import load_project, write_pins
from gostatic.stage import Stage, Stamp, file_id, go_build_id, install
from gostatic.strategies import (
    LADDER,
    Strategy,
    is_strategy_name,
    ladder_from,
    strategy_named,
)

if TYPE_CHECKING:
    from gostatic.elf import ElfFacts

Outcome = Literal["static", "dynamic", "build-failed", "skipped"]

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


@dataclass(frozen=True)
class BuildOptions:
    """gostatic's own options for a build, resolved once."""

    json: bool = False
    strategy: str | None = None
    strict: bool = False
    quiet: bool = False
    no_cache: bool = False  # neither read nor write the strategy cache
    cache_dir: Path | None = None  # --cache-dir, relative to the request's cwd
    pin: bool = False  # write each winning strategy into the project's gostatic.toml


@dataclass(frozen=True)
class BuildRequest:
    go_args: GoBuildArgs
    options: BuildOptions
    env: Mapping[str, str]
    cwd: Path


@dataclass(frozen=True)
class Attempt:
    strategy: str
    outcome: Outcome
    detail: str


@dataclass(frozen=True)
class PackageResult:
    package: str
    output: str | None
    strategy: str | None
    static: bool
    hazards: tuple[tuple[str, str], ...]
    attempts: tuple[Attempt, ...]
    up_to_date: bool = False
    go_error: str | None = None  # go's own message when the code does not compile

    @property
    def failed_to_compile(self) -> bool:
        return self.go_error is not None


@dataclass(frozen=True)
class BuildReport:
    results: tuple[PackageResult, ...]
    check_error: str | None = None  # go's message when a non-main package failed to build
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # what gostatic did besides building (e.g. --pin)

    @property
    def exit_status(self) -> int:
        if self.check_error is not None or any(r.failed_to_compile for r in self.results):
            return EXIT_FAILED
        if any(not r.static for r in self.results):
            return EXIT_NOT_STATIC
        return EXIT_OK


ProgressFn = Callable[[str, Attempt], None]


def _no_progress(package: str, attempt: Attempt) -> None:
    pass


@dataclass
class _Ladder:
    """The state of one package's climb; private to this module."""

    pkg: ListedPackage
    output: str | None
    stage: Stage
    name: str
    attempts: list[Attempt] = field(default_factory=list)
    seen: dict[tuple[tuple[str, ...], tuple[tuple[str, str], ...]], str] = field(
        default_factory=dict
    )
    compiled: bool = False


class Builder:
    """Runs the ladder for every main package of one request."""

    def __init__(self, request: BuildRequest, progress: ProgressFn = _no_progress) -> None:
        self.request = request
        self.progress = progress
        self.base = request.cwd / (request.go_args.workdir or ".")
        self.goenv: GoEnv = go_env(request.env, request.cwd)
        if self.goenv.goos not in ELF_GOOS:
            raise UsageError(
                f"GOOS={self.goenv.goos} does not produce ELF binaries; "
                "static verification applies to ELF targets (linux, *bsd, ...) only"
            )
        options = request.options
        self.forced: Strategy | None = (
            strategy_named(options.strategy) if options.strategy else None
        )
        self.project = load_project(self.base.resolve())
        self.ladder: tuple[Strategy, ...] = (
            tuple(strategy_named(n) for n in self.project.ladder) if self.project.ladder else LADDER
        )
        self.cache_root = cache_dir(
            request.env, request.cwd / options.cache_dir if options.cache_dir else None
        )
        self.cache = None if options.no_cache else StrategyCache(self.cache_root)
        self.warnings: list[str] = []
        self.notes: list[str] = []

    def run(self) -> BuildReport:
        if self.cache is not None:
            self.cache.load()
        root = self.cache_root / STAGE_DIR
        try:
            root.mkdir(parents=True, exist_ok=True)
            return self._run(root)
        except PermissionError:
            pass  # an unwritable cache costs speed, never the build
        except OSError:
            if root.is_dir():
                raise  # the stage was there: whatever failed was not the cache
        with tempfile.TemporaryDirectory(prefix="gostatic-stage-") as tmp:
            self.warnings.append(
                f"cache directory {root} is not writable; building without it (every build relinks)"
            )
            return self._run(Path(tmp))

    def _run(self, stage_root: Path) -> BuildReport:
        self.stage_root = stage_root
        args = self.request.go_args
        listed = list_packages(args, self.request.env, self.request.cwd)
        mains = [p for p in listed if p.is_main]
        others = [p for p in listed if not p.is_main]
        check_error = self._check_build(others) if others else None
        outputs = resolve_outputs(mains, args, self.base, self.goenv.goexe)
        results = tuple(self._build_one(pkg, out) for pkg, out in zip(mains, outputs, strict=True))
        if self.cache is not None:
            self.cache.save()
            self.warnings.extend(self.cache.warnings)
            self.cache.warnings.clear()
        if self.request.options.pin:
            self._pin(results)
        return BuildReport(results, check_error, tuple(self.warnings), tuple(self.notes))

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

    def _check_build(self, packages: list[ListedPackage]) -> str | None:
        """Non-main packages (or ones go could not load) get go build's plain check."""
        argv = apply_overlay(
            self.request.go_args, self.goenv.goflags, strategy_named("plain").overlay, None
        )
        targets = [p.import_path for p in packages if p.import_path]
        result = run_go(
            ["build", *argv, *targets], env=self.request.env, cwd=self.request.cwd, check=False
        )
        return None if result.ok else result.stderr

    def _package_args(self, pkg: ListedPackage) -> list[str]:
        if pkg.import_path == "command-line-arguments":
            return list(self.request.go_args.packages)
        return [pkg.import_path]

    def _build_one(self, pkg: ListedPackage, output: str | None) -> PackageResult:
        from gostatic.packages import exe_name

        name = exe_name(pkg, self.request.go_args.packages, self.goenv.goexe)
        key = (
            str((self.base / output).resolve())
            if output
            else f"pkg:{self.base.resolve()}:{pkg.import_path}"
        )
        ladder = _Ladder(pkg, output, Stage(self.stage_root, key), name)
        stamp = ladder.stage.read_stamp()
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
            # this package and toolchain, then the stage's last winner. A prediction from
            # the package's imports, `self._predicted(pkg)`, belongs between those two.
            first = self._cached(cached) or self._stamped(stamp)
            candidates = ladder_from(first, self.ladder)
        result = self._climb(ladder, candidates, stamp)
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
        for strategy in candidates:
            result = self._try(ladder, strategy, stamp)
            if result is not None:
                return result
        return PackageResult(
            package=ladder.pkg.import_path,
            output=ladder.output,
            strategy=None,
            static=False,
            hazards=(),
            attempts=tuple(ladder.attempts),
            go_error=None,
        )

    def _record(self, ladder: _Ladder, attempt: Attempt) -> None:
        ladder.attempts.append(attempt)
        self.progress(ladder.pkg.import_path, attempt)

    def _try(
        self, ladder: _Ladder, strategy: Strategy, stamp: Stamp | None
    ) -> PackageResult | None:
        """One rung. Returns the package's final result, or None to go on climbing."""
        req = self.request
        stage_bin = ladder.stage.binary(strategy.name, ladder.name)
        argv = apply_overlay(req.go_args, self.goenv.goflags, strategy.overlay, str(stage_bin))
        env = overlay_env(req.env, strategy.overlay)
        signature = (
            tuple(argv),
            tuple(sorted((k, v) for k, v in env.items() if k == "CGO_ENABLED")),
        )
        if signature in ladder.seen:
            self._record(
                ladder, Attempt(strategy.name, "skipped", f"same build as {ladder.seen[signature]}")
            )
            return None
        ladder.seen[signature] = strategy.name

        stage_bin.parent.mkdir(parents=True, exist_ok=True)
        built = run_go(
            ["build", *argv, *self._package_args(ladder.pkg)], env=env, cwd=req.cwd, check=False
        )
        if not built.ok:
            if not ladder.compiled and not _STRATEGY_FAILURE.search(built.stderr):
                attempt = Attempt(strategy.name, "build-failed", _first_line(built.stderr))
                self._record(ladder, attempt)
                return PackageResult(
                    package=ladder.pkg.import_path,
                    output=ladder.output,
                    strategy=None,
                    static=False,
                    hazards=(),
                    attempts=tuple(ladder.attempts),
                    go_error=built.stderr,
                )
            self._record(ladder, Attempt(strategy.name, "build-failed", _first_line(built.stderr)))
            return None
        ladder.compiled = True

        build_id = go_build_id(stage_bin)
        if stamp is not None and stamp.strategy == strategy.name and stamp.build_id == build_id:
            verified: Stamp | None = stamp  # proved static by an earlier run: no ELF read
            hazards = stamp.hazards
        else:
            verified = None
            facts = _inspect(stage_bin)
            if not facts.is_static:
                self._record(ladder, Attempt(strategy.name, "dynamic", _describe_dynamic(facts)))
                return None
            hazards = tuple((h.kind, h.detail) for h in facts.hazards)
        if hazards and req.options.strict:
            detail = "; ".join(f"{k}: {d}" for k, d in hazards)
            self._record(
                ladder, Attempt(strategy.name, "static", f"rejected by --strict: {detail}")
            )
            return None
        self._record(ladder, Attempt(strategy.name, "static", "no interpreter, no DT_NEEDED"))
        wrote = self._install(
            ladder, stage_bin, Stamp(strategy.name, build_id or "", None, hazards), verified
        )
        if verified is None:
            ladder.stage.discard_others(strategy.name)
        return PackageResult(
            package=ladder.pkg.import_path,
            output=ladder.output,
            strategy=strategy.name,
            static=True,
            hazards=hazards,
            attempts=tuple(ladder.attempts),
            up_to_date=not wrote,
        )

    def _install(self, ladder: _Ladder, stage_bin: Path, new: Stamp, old: Stamp | None) -> bool:
        """Put a verified stage binary at the output and stamp it; False if already there."""
        output_path = self.base / ladder.output if ladder.output else None
        if old is not None and (output_path is None or old.output == file_id(output_path)):
            return False
        if output_path is not None:
            install(stage_bin, output_path)
        if new.build_id:
            output_id = file_id(output_path) if output_path is not None else None
            ladder.stage.write_stamp(replace(new, output=output_id))
        return True


def _inspect(path: Path) -> ElfFacts:
    from gostatic.elf import inspect_elf  # pyelftools is only imported when a binary changed

    return inspect_elf(path)


def _describe_dynamic(facts: ElfFacts) -> str:
    parts = []
    if facts.interpreter:
        parts.append(f"interpreter {facts.interpreter}")
    if facts.needed:
        parts.append("needs " + ", ".join(facts.needed))
    return "; ".join(parts) or "dynamic"


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    return lines[0] if lines else "go build failed"


def build(request: BuildRequest, progress: ProgressFn = _no_progress) -> BuildReport:
    """Build every main package named by the request; raise only for errors that stop all."""
    try:
        return Builder(request, progress).run()
    except OSError as exc:
        raise GostaticError(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")) from None
