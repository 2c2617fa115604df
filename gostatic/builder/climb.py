"""One package's climb: try its rungs in order until one gives a binary proved static, and
install that one.

Each rung is one `go build` into the package's stage. A build that fails in a way that
means "this strategy does not apply here" goes on to the next rung, with the C compiler's
and linker's own reason as its detail (gostatic.cgo.linkreason); one that fails because the
code does not compile ends the climb with go's message. A binary that is not static, or
carries a hazard that rules it out, goes on too; its hazards are read from the binary and
from the static linker's warnings (gostatic.cgo.linkhazards). A static glibc binary that
carries the NSS loader is set aside while the musl rungs are tried, and installed only if
none of them links the program.

A rung is not run when it cannot win: one that cannot apply to the target, one that
turns cgo on against the user's CGO_ENABLED=0, one whose build with cgo off would compile
a stub or fail (gostatic.cgo.cgooff), and, once a static binary is held for the NSS hazard,
one the import graph says links libc dynamically.
"""

from __future__ import annotations

import re
from pathlib import Path

from gostatic.builder.results import STATIC_DETAIL, Attempt, PackageResult
from gostatic.builder.rungchoice import (
    cgo_forbidden_reason,
    musl_alternatives,
    skip_reason,
    toolchain_env,
)
from gostatic.go.flags import apply_overlay, overlay_env
from gostatic.go.session import GoCommand
from gostatic.incremental.buildid import build_id_in, go_build_id
from gostatic.incremental.install import settle
from gostatic.incremental.snapshot import Snapshot, new_snapshot
from gostatic.incremental.stage import Stage, Stamp
from gostatic.records import TYPE_CHECKING, Record
from gostatic.toolchains import INSTALL_HINT

if TYPE_CHECKING:
    from gostatic.builder.graphfacts import GraphFacts
    from gostatic.builder.results import BuildRequest, ProgressFn
    from gostatic.cache import CacheKey
    from gostatic.elf.facts import ElfFacts
    from gostatic.elf.hazard import Hazard
    from gostatic.explain import CgoAnalysis
    from gostatic.go.cmd import GoResult
    from gostatic.go.env import GoEnv
    from gostatic.go.packages import ListedPackage
    from gostatic.go.session import GoSession
    from gostatic.strategies import Strategy
    from gostatic.targets import Target
    from gostatic.toolchains import Toolchains

# go build failures that mean "this strategy does not apply here", not "the code is wrong";
# compiled by re on first use (only a failed build asks).
_STRATEGY_FAILURE = (
    r"build constraints exclude all Go files"
    r"|requires external \(cgo\) linking"
    r"|cgo is not enabled|requires cgo"
    r"|C compiler .* not found"
    r"|running \S+ failed"
    r"|collect2: error|/ld: |undefined reference to"
)

# Hazards that mean the program cannot work at all, so no static ELF makes up for them.
_BROKEN_HAZARDS = frozenset({"cgo-stub"})


class ClimbSetting(Record):
    """What every climb of one build shares."""

    request: BuildRequest
    goenv: GoEnv
    target: Target
    tools: Toolchains  # probed only when a rung asks
    session: GoSession
    progress: ProgressFn
    forced: bool  # the only rung was given with --strategy
    # A build ID the user fixes (-ldflags=-buildid=X) survives every relink, so it cannot
    # tell that a binary changed: then every binary is read again.
    fixed_build_id: bool


class _Candidate(Record):
    """A stage binary proved static, ready to be installed."""

    strategy: str
    stage_bin: Path
    build_id: str
    hazards: tuple[Hazard, ...]
    needs: tuple[str, ...]
    # The copy beside the output that was read to prove it, installed as it is; None
    # where it was proved otherwise (the install then copies it and checks the copy).
    checked: Snapshot | None


# glibc's static linker warns of a function that loads shared libraries at run time.
_STATIC_LINK_WARNING = "in statically linked applications requires"


class Climb:
    """One package's climb: its rungs, what was tried, and what is held for later."""

    def __init__(
        self,
        setting: ClimbSetting,
        pkg: ListedPackage,
        output: str | None,
        stage: Stage,
        stamp: Stamp | None,
        candidates: tuple[Strategy, ...],
        package_args: list[str],
        facts: GraphFacts,
        cache_key: CacheKey | None = None,
    ) -> None:
        self.setting = setting
        self.pkg = pkg
        self.output = output
        self.stage = stage  # its name is the binary's
        self.candidates = candidates  # the rungs this climb tries, in order
        # The package arguments of each go build (see gostatic.builder.full).
        self.package_args = package_args
        self.facts = facts  # the build's package graph, and what it tells
        self._analysis: CgoAnalysis | None = None  # see :attr:`analysis`
        # Where the strategy cache records this climb's winner (None: the cache takes no
        # part, as when the rung was given); the builder records it, the climb never reads it.
        self.cache_key = cache_key
        self.stamp = stamp  # the stage's, read before the rungs were chosen
        self.attempts: list[Attempt] = []
        self.warnings: list[str] = []
        self.seen: dict[tuple[tuple[str, ...], bool, str | None], str] = {}
        self.compiled = False
        self.fallback: _Candidate | None = None  # static but hazardous, held while musl is tried

    @property
    def analysis(self) -> CgoAnalysis:
        """This package's cgo: what decides which rungs cannot win. Asked for on first need:
        where the head start's guess is proved exact (gostatic.builder.guessproof), a
        first rung that is taken needs no go list."""
        if self._analysis is None:
            self._analysis = self.facts.analysis(self.pkg.import_path)
        return self._analysis

    def reads_new_binary(self) -> bool:
        """Whether the first rung will leave a binary no stamp vouches for (a guess for
        importing early; :meth:`_try` decides)."""
        if not self.candidates:
            return False
        stamp = self.stamp
        return (
            stamp is None
            or self.setting.fixed_build_id
            or stamp.strategy != self.candidates[0].name
        )

    def first_build(self) -> GoCommand | None:
        """The first rung's go build, unless the rung is skipped (or there is none)."""
        strategy = self.first_rung()
        if strategy is None:
            return None
        argv, env, _ = self._go_build(strategy)
        return GoCommand(["build", *argv, *self.package_args], env, self._cwd)

    def start_first_rung(self) -> None:
        """Start the first rung's go build; :meth:`run` takes its result from the session."""
        command = self.first_build()
        if command is None:
            return
        Path(self.stage.strategy_dir(self.candidates[0].name)).mkdir(parents=True, exist_ok=True)
        self.setting.session.start(command.args, env=command.env, cwd=command.cwd)

    def first_rung(self) -> Strategy | None:
        """The strategy of the first rung, unless it is skipped (or there is none)."""
        if not self.candidates or self._skip(self.candidates[0]) is not None:
            return None
        return self.candidates[0]

    def check_first_rung(self, said: str) -> PackageResult | None:
        """Take the binary that a build of several packages (gostatic.builder.climbs) wrote into
        this stage for the first rung, as if this climb had built it (``said``: what go
        printed); None to go on with the next rungs (:meth:`run` from 1)."""
        strategy = self.candidates[0]
        argv, env, stage_bin = self._go_build(strategy)
        self.seen[self._signature(strategy, argv, env)] = strategy.name
        self.compiled = True
        return self._check(strategy, stage_bin, said)

    def run(self, start: int = 0) -> PackageResult:
        """Climb from rung ``start`` (1 once :meth:`check_first_rung` took the first)."""
        for strategy in self.candidates[start:]:
            result = self._try(strategy)
            if result is not None:
                return result
        if self.fallback is not None:
            return self._accept(self.fallback, None)
        return self._not_static()

    @property
    def _cwd(self) -> Path:
        return Path(self.setting.request.cwd)

    def _record(self, attempt: Attempt) -> None:
        self.attempts.append(attempt)
        self.setting.progress(self.pkg.import_path, attempt)

    def _skip(self, strategy: Strategy) -> str | None:
        """Why this rung is not run (see the module's docstring), or None to run it. A
        rung given with --strategy is run wherever it can run at all, except a build with
        cgo off that the graph says is broken: it passes the ELF check all the same."""
        setting = self.setting
        skip = skip_reason(strategy, setting.target, setting.tools, forced=setting.forced)
        if skip is None and not setting.forced:
            skip = cgo_forbidden_reason(strategy, setting.request.env)
            if skip is None and self.fallback is not None:
                skip = self._predicted_dynamic(strategy)
        if skip is not None or strategy.cgo_on(setting.goenv.cgo_enabled):
            return skip
        self._analysis = self.facts.judged(self.analysis)  # a go list, once per build
        return self._analysis.cgo_off_refusal()

    def _predicted_dynamic(self, strategy: Strategy) -> str | None:
        """With a static binary held for the NSS hazard, a rung the import graph says
        links libc dynamically cannot do better."""
        if not self.analysis.predicts_dynamic(strategy):
            return None
        cgo = ", ".join(u.package for u in self.analysis.uses[:3])
        held = self.fallback.strategy if self.fallback is not None else ""
        return (
            f"the import graph predicts a dynamic binary (cgo in {cgo}); {held}'s static "
            "binary is held while the musl rungs are tried"
        )

    def _go_build(self, strategy: Strategy) -> tuple[list[str], dict[str, str], Path]:
        """The go build arguments (after "build", before the packages) and environment of
        one rung, and the stage binary it writes."""
        setting = self.setting
        req = setting.request
        stage_bin = Path(self.stage.binary(strategy.name))
        argv = apply_overlay(req.go_args, setting.goenv.goflags, strategy.overlay, str(stage_bin))
        env = overlay_env(req.env, strategy.overlay)
        env.update(toolchain_env(strategy, setting.target, setting.tools))
        if strategy.links_statically:
            env.update(self.facts.static_env)  # pkg-config --static (gostatic.cgo.pkgconfig)
        return argv, env, stage_bin

    def _signature(
        self, strategy: Strategy, argv: list[str], env: dict[str, str]
    ) -> tuple[tuple[str, ...], bool, str | None]:
        """What makes two rungs the same build: the same flags (without "-o STAGE", which
        is each rung's own), cgo setting and compiler."""
        cgo = strategy.cgo_on(self.setting.goenv.cgo_enabled)
        return tuple(argv[:-2]), cgo, env.get("CC")

    def _try(self, strategy: Strategy) -> PackageResult | None:
        """One rung. Returns the package's final result, or None to go on climbing."""
        refusal = self._skip(strategy)
        if refusal is not None:
            self._record(Attempt(strategy.name, "skipped", refusal))
            return None
        argv, env, stage_bin = self._go_build(strategy)
        signature = self._signature(strategy, argv, env)
        if signature in self.seen:
            detail = f"same build as {self.seen[signature]}"
            self._record(Attempt(strategy.name, "skipped", detail))
            return None
        self.seen[signature] = strategy.name

        stage_bin.parent.mkdir(parents=True, exist_ok=True)
        built = self.setting.session.run(
            ["build", *argv, *self.package_args], env=env, cwd=self._cwd, check=False
        )
        if not built.ok:
            return self._failed(strategy, built, env.get("CC") or self.setting.goenv.cc)
        self.compiled = True
        return self._check(strategy, stage_bin, built.stderr)

    def _failed(self, strategy: Strategy, built: GoResult, compiler: str) -> PackageResult | None:
        """A rung whose go build failed: the next rung, with the C compiler's or linker's
        reason when they said one, unless the code itself does not compile."""
        from gostatic.cgo.linkreason import link_failure_reason  # only after a failed build

        reason = link_failure_reason(built.stderr, self.facts.owners, compiler)
        # A header or library another C compiler lacks is that toolchain's failure.
        by_toolchain = reason is not None and strategy.toolchain is not None
        of_strategy = re.search(_STRATEGY_FAILURE, built.stderr) is not None
        if not self.compiled and not by_toolchain and not of_strategy:
            self._record(Attempt(strategy.name, "build-failed", built.first_error_line))
            return self._not_static(go_error=built.stderr)
        detail = reason.detail if reason is not None else built.first_error_line
        self._record(Attempt(strategy.name, "build-failed", detail, built.stderr))
        return None

    def _check(self, strategy: Strategy, stage_bin: Path, said: str) -> PackageResult | None:
        """Take a rung's binary if it is proved static with no hazard that rules it out
        (``said``: what go printed building it)."""
        build_id = go_build_id(stage_bin)
        stamp = self.stamp
        if (
            stamp is not None
            and not self.setting.fixed_build_id
            and stamp.strategy == strategy.name
            and stamp.build_id == build_id
        ):
            # Proved static by an earlier run: no ELF read.
            proved = _Candidate(
                strategy.name, stage_bin, build_id or "", stamp.hazards, stamp.needs, None
            )
            return self._take(strategy, proved, said, stamp)
        # A binary no stamp vouches for is read once, in the copy that is installed.
        with new_snapshot(str(stage_bin), self._output()) as snapshot:
            facts, needs = _read_new(snapshot, str(stage_bin))
            if facts is not None and not facts.is_static:
                loader = facts.run_time_needs() or "dynamic"
                self._record(Attempt(strategy.name, "dynamic", loader, said))
                return None
            hazards = self._hazards(facts.hazards if facts else (), said)
            build_id = build_id_in(snapshot.data)
            candidate = _Candidate(
                strategy.name, stage_bin, build_id or "", hazards, needs, snapshot
            )
            return self._take(strategy, candidate, said, None)

    def _take(
        self, strategy: Strategy, candidate: _Candidate, said: str, verified: Stamp | None
    ) -> PackageResult | None:
        """Install a static binary unless a hazard rules it out or it is set aside;
        ``verified`` is the stamp that proved it."""
        rejection = self._rejection(candidate.hazards)
        if rejection is not None:
            # Not kept: rebuilt up to date, go would print no linker warning next time.
            _discard(candidate.stage_bin)
            self._record(Attempt(strategy.name, "static", rejection, said))
            return None
        # A binary set aside is copied and checked again if it is installed after all.
        held = candidate._replace(checked=None)
        if verified is None and self._set_aside_for_musl(strategy, held):
            return None
        self._record(Attempt(strategy.name, "static", STATIC_DETAIL, said))
        return self._accept(candidate, verified)

    def _hazards(self, in_binary: tuple[Hazard, ...], said: str) -> tuple[Hazard, ...]:
        """The binary's hazards and the static linker's warnings (``said``: go's stderr,
        which holds the linker's output when go linked), each (kind, detail) once."""
        warned: tuple[Hazard, ...] = ()
        if _STATIC_LINK_WARNING in said:
            from gostatic.cgo.linkhazards import linker_hazards  # only when glibc warned

            warned = linker_hazards(said, self.facts.package_dirs)
        return tuple(dict.fromkeys((*in_binary, *warned)))

    def _accept(self, candidate: _Candidate, verified: Stamp | None) -> PackageResult:
        """Install a proved-static stage binary; ``verified`` is the stamp that proved it."""
        stamp = Stamp(
            candidate.strategy, candidate.build_id, None, candidate.hazards, candidate.needs
        )
        wrote = self._install(candidate, stamp, verified)
        if verified is None:
            self.stage.discard_others(candidate.strategy)
        return PackageResult(
            package=self.pkg.import_path,
            output=self.output,
            strategy=candidate.strategy,
            static=True,
            hazards=candidate.hazards,
            attempts=tuple(self.attempts),
            up_to_date=not wrote,
            needs=candidate.needs,
        )

    def _rejection(self, hazards: tuple[Hazard, ...]) -> str | None:
        """Why a static binary is still not taken, or None to take it."""
        broken = [(k, d) for k, d in hazards if k in _BROKEN_HAZARDS]
        if broken:
            return "rejected: " + "; ".join(f"{k}: {d}" for k, d in broken)
        if hazards and self.setting.request.options.strict:
            return "rejected by --strict: " + "; ".join(f"{k}: {d}" for k, d in hazards)
        return None

    def _set_aside_for_musl(self, strategy: Strategy, candidate: _Candidate) -> bool:
        """Hold a glibc binary that carries the NSS loader while a musl rung is tried.

        glibc's NSS loader dlopen()s libnss_*.so for user and host lookups, which fails in
        an empty root; musl has no such loader. If no musl rung links the program, the held
        binary is installed after all (see :meth:`run`), hazard and warning included.
        """
        if strategy.toolchain is not None or not any(k == "nss" for k, _ in candidate.hazards):
            return False
        if self.fallback is not None:
            return False
        tried = {a.strategy for a in self.attempts}
        alternatives = musl_alternatives(self.candidates, self.setting.target, self.setting.tools)
        untried = [s.name for s in alternatives if s.name not in tried]
        if not untried:
            self.warnings.append(
                f"{self.pkg.import_path}: glibc's NSS loader is linked in; with a musl "
                f"toolchain gostatic links the program without it ({INSTALL_HINT})"
            )
            return False
        self.fallback = candidate
        detail = f"set aside: nss hazard; trying {', '.join(untried)} first"
        self._record(Attempt(strategy.name, "static", detail))
        return True

    def _output(self) -> tuple[str, str] | None:
        """Where the binary is installed, and the user's spelling of it (None: nowhere)."""
        base = self._cwd / (self.setting.request.go_args.workdir or ".")
        return (str(base / self.output), self.output) if self.output else None

    def _install(self, candidate: _Candidate, new: Stamp, old: Stamp | None) -> bool:
        """Put a verified stage binary at the output and stamp it; False if already there."""
        stage_bin, output, checked = str(candidate.stage_bin), self._output(), candidate.checked
        return settle(self.stage, stage_bin, output, new, old, read_fully=True, checked=checked)

    def _not_static(self, go_error: str | None = None) -> PackageResult:
        """The result of a climb that installed nothing (``go_error``: the code did not
        compile)."""
        return PackageResult(
            package=self.pkg.import_path,
            output=self.output,
            strategy=None,
            static=False,
            hazards=(),
            attempts=tuple(self.attempts),
            go_error=go_error,
        )


def _discard(path: Path) -> None:
    try:  # noqa: SIM105 (contextlib is one more import on the build path)
        path.unlink()
    except OSError:
        pass  # gone already, or the stage is read-only: the next build relinks or says so


def _read_new(snapshot: Snapshot, shown: str) -> tuple[ElfFacts | None, tuple[str, ...]]:
    """The full reading's facts of a new binary where the re-check does not clear it, and
    its run-time needs (gostatic.elf.needs). The re-check (gostatic.incremental.recheck) is
    stricter than gostatic.elf.facts and does without pyelftools (~45 ms to import, on the
    CPU go links with): that is only imported for a binary the re-check does not clear."""
    from gostatic.incremental.recheck import still_static_in

    if still_static_in(snapshot.data):
        from gostatic.elf.needs import needs_of

        return None, needs_of(snapshot.data, shown)
    from gostatic.elf.facts import inspect_elf

    facts = inspect_elf(snapshot.path, shown)
    return facts, facts.needs
