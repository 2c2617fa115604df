"""Why a plain build is dynamic: which packages use cgo, how the main package reaches them,
what makes each static, and so which strategy will work first.

Everything here reads the graph of one `go list -deps` (see gostatic.go.packages); the build
uses the same analysis to start at the predicted rung, to skip builds the graph says
cannot win, and, with gostatic.cgo.cgooff's verdicts, to refuse a build with cgo off where it
would compile a stub or fail.

``runtime/cgo`` is a consequence, not a cause: go links it into every program that has a
cgo package, without any import naming it, so a walk over ``Imports`` never reaches it that
way. It is reported only when some package imports it explicitly (``import _
"runtime/cgo"``); then it is a cause of its own, fixed only by the external static link.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path

from gostatic.cgo.use import (
    CANNOT_BE_STATIC,
    EXTERNAL_LINK,
    NETGO_TAG,
    OSUSERGO_TAG,
    PURE_GO_FALLBACK,
    CgoUse,
    remedy_for,
)
from gostatic.errors import GoCommandError, UsageError
from gostatic.go.flags import GoBuildArgs
from gostatic.go.packages import ListedPackage, PackageGraph, load_packages
from gostatic.needprediction import predict_needs
from gostatic.project import load_project
from gostatic.records import TYPE_CHECKING, Record
from gostatic.strategies import EXTERNAL_STATIC, LADDER, NETGO, PLAIN, Strategy

if TYPE_CHECKING:
    from gostatic.cgo.cgooff import CgoOffVerdict, SourceFacts

__all__ = [
    "CANNOT_BE_STATIC",
    "EXTERNAL_LINK",
    "NETGO_TAG",
    "OSUSERGO_TAG",
    "CgoAnalysis",
    "CgoUse",
    "ExplainRequest",
    "analyse",
    "explain",
    "remedy_for",
]

# Packages that load shared libraries at run time without cgo's C.dlopen. Without cgo,
# purego asks the Go linker for libc itself (//go:cgo_import_dynamic): a dynamic binary;
# with cgo, a static one whose dlopen finds nothing in an empty root.
_LOADERS = frozenset({"github.com/ebitengine/purego"})


class CgoAnalysis(Record):
    """The cgo facts of one package's build."""

    package: str
    uses: tuple[CgoUse, ...]  # nearest first
    ladder: tuple[Strategy, ...] = LADDER  # the project's, when it has one
    # The run-time needs the imports predict (gostatic.needprediction): set by explain().
    predicted_needs: tuple[str, ...] = ()
    # go's CGO_ENABLED for the build (go env): what a rung that sets none builds with.
    cgo_default: bool = True
    # The user set CGO_ENABLED=0: a rung that turns cgo on is not taken against it.
    cgo_forbidden: bool = False
    # Packages that load shared libraries at run time without cgo (purego), nearest first.
    loaders: tuple[str, ...] = ()
    # What each cgo package without a standard fallback becomes with cgo off
    # (gostatic.cgo.cgooff); None until judged, which takes a go list, run only when a
    # build with cgo off is at stake (see :meth:`judged`).
    verdicts: tuple[CgoOffVerdict, ...] | None = None

    @property
    def prediction(self) -> str | None:
        """The first strategy of the build's ladder that will give a static binary."""
        return self.first_expected(self.ladder)

    def first_expected(self, ladder: Sequence[Strategy]) -> str | None:
        """The first strategy of ``ladder`` (a project may reorder it) expected to work."""
        return next((s.name for s in ladder if self.expects_static(s)), None)

    def cgo_on(self, strategy: Strategy) -> bool:
        """Whether ``strategy``'s build has cgo on: its own CGO_ENABLED, else go's."""
        return strategy.cgo_on(self.cgo_default)

    def expects_static(self, strategy: Strategy) -> bool:
        """Whether the graph says ``strategy`` gives a working static binary (a build with
        cgo off only once its refusal is judged: until then it is not counted on)."""
        if not self.cgo_on(strategy):
            judged = not self.without_fallback or self.verdicts is not None
            return judged and not self.loaders and self.cgo_off_refusal() is None
        if self.cgo_forbidden:
            return False
        remedies = {u.remedy for u in self.uses}
        if strategy is PLAIN:
            return not remedies
        if strategy is NETGO:
            return remedies <= {NETGO_TAG, OSUSERGO_TAG}
        if strategy is EXTERNAL_STATIC:
            return CANNOT_BE_STATIC not in remedies
        return False  # a strategy this analysis knows nothing of is tried in ladder order

    def predicts_dynamic(self, strategy: Strategy) -> bool:
        """Whether the graph says a plain or netgo build with cgo on links libc
        dynamically: a cgo package that the strategy's tags do not replace."""
        if strategy not in (PLAIN, NETGO) or not self.cgo_on(strategy):
            return False
        return not self.expects_static(strategy) and not self.cgo_forbidden

    @property
    def without_fallback(self) -> tuple[CgoUse, ...]:
        """cgo packages with no pure-Go replacement in the standard library: what a build
        without cgo makes of them is for gostatic.cgo.cgooff to judge."""
        return tuple(u for u in self.uses if u.package not in PURE_GO_FALLBACK)

    def judged(
        self, on: Mapping[str, SourceFacts], off: Mapping[str, SourceFacts] | None
    ) -> CgoAnalysis:
        """This analysis with its verdicts, from the build's listings with cgo on and off
        (``off`` None: go could not list it, and nothing is known)."""
        from gostatic.cgo import cgooff  # only for cgo without a standard fallback (rare)

        uses = self.without_fallback
        if off is None:
            said = "go list failed for the build without cgo"
            verdicts = tuple(cgooff.CgoOffVerdict(u.package, "unknown", said, ()) for u in uses)
        else:
            verdicts = cgooff.judge_all(uses, on, off)
        return self._replace(verdicts=verdicts)

    def cgo_off_refusal(self) -> str | None:
        """Why a build with cgo off must not be taken for this package, if it must not:
        the verdicts' own words (see :meth:`judged`)."""
        if not self.without_fallback:
            return None
        if self.verdicts is None:
            blockers = ", ".join(u.package for u in self.without_fallback)
            return f"CGO_ENABLED=0 not taken: what it makes of {blockers} was not checked"
        from gostatic.cgo import cgooff  # only for cgo without a standard fallback (rare)

        return cgooff.cgo_off_refusal(self.verdicts)


def analyse(graph: PackageGraph, root: str) -> CgoAnalysis:
    """Breadth-first over ``Imports`` from ``root``: each cgo package with its shortest chain."""
    parents: dict[str, str | None] = {root: None}
    queue = deque([root])
    uses: list[CgoUse] = []
    loaders: list[str] = []
    while queue:
        path = queue.popleft()
        pkg = graph.by_path.get(path)
        if pkg is None:  # "C", or a package go could not load
            continue
        if pkg.uses_cgo:
            uses.append(CgoUse(path, _chain(parents, path), remedy_for(path, pkg.standard)))
        if path in _LOADERS:
            loaders.append(path)
        for imported in pkg.imports:
            if imported not in parents:
                parents[imported] = path
                queue.append(imported)
    return CgoAnalysis(root, tuple(uses), loaders=tuple(loaders))


def _chain(parents: Mapping[str, str | None], path: str) -> tuple[str, ...]:
    chain = [path]
    parent = parents[path]
    while parent is not None:
        chain.append(parent)
        parent = parents[parent]
    return tuple(reversed(chain))


class ExplainRequest(Record):
    go_args: GoBuildArgs
    env: Mapping[str, str]
    cwd: Path


def explain(request: ExplainRequest) -> CgoAnalysis:
    """Analyse the one package a command line names, as `go build` would build it, and
    predict with the ladder `gostatic build` would climb there; what a build without cgo
    makes of its cgo packages is judged when one of them has no standard fallback."""
    from gostatic.go.env import ENV_ARGS, go_env
    from gostatic.go.session import GoSession

    project = load_project((request.cwd / (request.go_args.workdir or ".")).resolve())
    session = GoSession()
    try:
        session.start(ENV_ARGS, env=request.env, cwd=request.cwd)
        graph = load_packages(request.go_args, request.env, request.cwd, session=session)
        pkg = _the_one_package(graph)
        analysis = analyse(graph, pkg.import_path)._replace(
            ladder=project.strategies,
            cgo_default=go_env(request.env, request.cwd, session).cgo_enabled,
            cgo_forbidden=request.env.get("CGO_ENABLED") == "0",
            predicted_needs=predict_needs(graph, pkg.import_path),
        )
        if analysis.without_fallback:
            from gostatic.cgo import cgooff

            off = cgooff.list_without_cgo(request.go_args, request.env, request.cwd, session)
            analysis = analysis.judged(cgooff.graph_facts(graph), off)
    finally:
        session.close()
    return analysis


def _the_one_package(graph: PackageGraph) -> ListedPackage:
    """The package explain explains; a usage error unless the arguments name one, and go's
    error if it, or a package it imports, cannot be loaded."""
    if len(graph.named) != 1:
        paths = [p.import_path for p in graph.named]
        named = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        named = named or "no package"
        raise UsageError(f"explain takes exactly one package; the arguments name {named}")
    [pkg] = graph.named
    # A package go could not load leaves the answer incomplete: fail as go build would.
    errors = [p.error for p in (pkg, *graph.by_path.values()) if p.error is not None]
    if errors:
        raise GoCommandError(errors[0])
    return pkg
