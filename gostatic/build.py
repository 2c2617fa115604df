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

from gostatic.errors import EXIT_FAILED, EXIT_NOT_STATIC, EXIT_OK, GostaticError, UsageError
from gostatic.gocmd import GoEnv, go_env, run_go
from gostatic.goflags import GoBuildArgs, apply_overlay, overlay_env
from gostatic.packages import ListedPackage, list_packages, resolve_outputs
from gostatic.paths import cache_dir
from gostatic.rungs import musl_alternatives, non_elf_message, skip_reason, target_of, toolchain_env
from gostatic.stage import Stage, Stamp, file_id, go_build_id, install
from gostatic.strategies import LADDER, Strategy, is_strategy_name, ladder_from, strategy_named
from gostatic.toolchains import INSTALL_HINT, Toolchains

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

# The detail of the attempt that won; reporters leave it out of the progress lines.
STATIC_DETAIL = "no interpreter, no DT_NEEDED"
# Hazards that mean the program cannot work at all, so no static ELF makes up for them.
_BROKEN_HAZARDS = frozenset({"cgo-stub"})


@dataclass(frozen=True)
class BuildOptions:
    """gostatic's own options for a build, resolved once."""

    json: bool = False
    strategy: str | None = None
    strict: bool = False
    quiet: bool = False
    no_cache: bool = False


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
    stage: Stage
    name: str
    attempts: list[Attempt] = field(default_factory=list)
    seen: dict[tuple[tuple[str, ...], tuple[tuple[str, str], ...]], str] = field(
        default_factory=dict
    )
    compiled: bool = False
    fallback: _Candidate | None = None  # static but hazardous, held while musl is tried


class Builder:
    """Runs the ladder for every main package of one request."""

    def __init__(self, request: BuildRequest, progress: ProgressFn = _no_progress) -> None:
        self.request = request
        self.progress = progress
        self.base = request.cwd / (request.go_args.workdir or ".")
        self.goenv: GoEnv = go_env(request.env, request.cwd)
        if self.goenv.goos not in ELF_GOOS:
            raise UsageError(non_elf_message(self.goenv.goos))
        self.target = target_of(self.goenv, request.go_args)
        self.tools = Toolchains(request.env, self.goenv.cc)  # probed only when a rung asks
        self._plugin_users: frozenset[str] | None = None
        self.forced: Strategy | None = (
            strategy_named(request.options.strategy) if request.options.strategy else None
        )
        self.warnings: list[str] = []

    def run(self) -> BuildReport:
        root = cache_dir(self.request.env) / "stage"
        try:
            root.mkdir(parents=True, exist_ok=True)
            return self._run(root)
        except PermissionError:
            pass  # an unwritable cache costs speed, never the build
        with tempfile.TemporaryDirectory(prefix="gostatic-stage-") as tmp:
            self.warnings.append(
                f"cache directory {root} is not writable; building without it (every build relinks)"
            )
            return self._run(Path(tmp))

    def _run(self, stage_root: Path) -> BuildReport:
        self.stage_root = stage_root
        args = self.request.go_args
        listed = list_packages(args, _listing_env(self.request.env), self.request.cwd)
        mains = [p for p in listed if p.is_main]
        others = [p for p in listed if not p.is_main]
        check_error = self._check_build(others) if others else None
        outputs = resolve_outputs(mains, args, self.base, self.goenv.goexe)
        results = tuple(self._build_one(pkg, out) for pkg, out in zip(mains, outputs, strict=True))
        return BuildReport(results, check_error, tuple(self.warnings))

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
        refused = self._refuse_plugin(ladder)
        if refused is not None:
            return refused
        stamp = ladder.stage.read_stamp()
        hint = self.forced
        if hint is None and stamp is not None and is_strategy_name(stamp.strategy):
            hint = strategy_named(stamp.strategy)
        candidates = (self.forced,) if self.forced else ladder_from(hint)
        for strategy in candidates:
            result = self._try(ladder, strategy, stamp)
            if result is not None:
                return result
        if ladder.fallback is not None:
            return self._accept(ladder, ladder.fallback, None)
        return PackageResult(
            package=pkg.import_path,
            output=output,
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
        skip = skip_reason(strategy, self.target, self.tools, forced=self.forced is not None)
        if skip is not None:
            self._record(ladder, Attempt(strategy.name, "skipped", skip))
            return None
        stage_bin = ladder.stage.binary(strategy.name, ladder.name)
        argv = apply_overlay(req.go_args, self.goenv.goflags, strategy.overlay, str(stage_bin))
        env = overlay_env(req.env, strategy.overlay)
        env.update(toolchain_env(strategy, self.target, self.tools))
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
        rejection = self._rejection(hazards)
        if rejection is not None:
            self._record(ladder, Attempt(strategy.name, "static", rejection))
            return None
        candidate = _Candidate(strategy.name, stage_bin, build_id or "", hazards)
        if verified is None and self._set_aside_for_musl(ladder, strategy, candidate):
            return None
        self._record(ladder, Attempt(strategy.name, "static", STATIC_DETAIL))
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
        binary is installed after all (see _build_one), hazard and warning included.
        """
        if strategy.toolchain is not None or not any(k == "nss" for k, _ in candidate.hazards):
            return False
        if self.forced is not None or ladder.fallback is not None:
            return False
        tried = {a.strategy for a in ladder.attempts}
        alternatives = musl_alternatives(LADDER, self.target, self.tools)
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

        if self._plugin_users is None:
            req = self.request
            self._plugin_users = pluginuse.plugin_importers(req.go_args, req.env, req.cwd)
        package = ladder.pkg.import_path
        if package not in self._plugin_users:
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


def _listing_env(env: Mapping[str, str]) -> dict[str, str]:
    """The environment to list packages in: with cgo on, as the ladder's cgo rungs build.

    Go turns cgo off by default when cross-compiling, and a package whose files all import
    "C" then lists as "build constraints exclude all Go files" instead of as a main package
    that zig-static (or a cross CC) can build.
    """
    return {**env, "CGO_ENABLED": "1"}


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
