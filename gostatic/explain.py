"""Why a plain build is dynamic: which packages use cgo, how the main package reaches them,
what makes each static, and so which strategy will work first.

Everything here reads the graph of one `go list -deps` (see gostatic.packages); the build
uses the same analysis to start at the predicted rung and to refuse `CGO_ENABLED=0` where
it would only compile a stub.

``runtime/cgo`` is a consequence, not a cause: go links it into every program that has a
cgo package, without any import naming it, so a walk over ``Imports`` never reaches it that
way. It is reported only when some package imports it explicitly (``import _
"runtime/cgo"``); then it is a cause of its own, fixed only by the external static link.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path

from gostatic.errors import GoCommandError, UsageError
from gostatic.goflags import GoBuildArgs
from gostatic.needprediction import predict_needs
from gostatic.packages import PackageGraph, load_packages
from gostatic.project import load_project
from gostatic.records import Record
from gostatic.strategies import CGO_OFF, EXTERNAL_STATIC, LADDER, NETGO, PLAIN, Strategy

# Remedies, as they appear in `explain --json`.
NETGO_TAG = "netgo"
OSUSERGO_TAG = "osusergo"
EXTERNAL_LINK = EXTERNAL_STATIC.name
CANNOT_BE_STATIC = "cannot be static"

# Standard packages whose cgo code has a complete pure-Go replacement, selected by a tag
# (or by CGO_ENABLED=0). Any other cgo package built without cgo is a stub or a failure:
# mattn/go-sqlite3 compiles to "this is a stub", plugin.Open always fails.
_PURE_GO_FALLBACK = {"net": NETGO_TAG, "os/user": OSUSERGO_TAG}
# Standard packages no static binary can serve: plugin exists to dlopen shared objects.
_NEVER_STATIC = frozenset({"plugin"})


class CgoUse(Record):
    package: str
    chain: tuple[str, ...]  # the shortest import chain, from the root package to this one
    remedy: str


class CgoAnalysis(Record):
    """The cgo facts of one package's build."""

    package: str
    uses: tuple[CgoUse, ...]  # nearest first
    ladder: tuple[Strategy, ...] = LADDER  # the project's, when it has one
    # The run-time needs the imports predict (gostatic.needprediction): set by explain().
    predicted_needs: tuple[str, ...] = ()

    @property
    def prediction(self) -> str | None:
        """The first strategy of the build's ladder that will give a static binary."""
        return self.first_expected(self.ladder)

    def first_expected(self, ladder: Sequence[Strategy]) -> str | None:
        """The first strategy of ``ladder`` (a project may reorder it) expected to work."""
        return next((s.name for s in ladder if self.expects_static(s)), None)

    def expects_static(self, strategy: Strategy) -> bool:
        """Whether the graph says ``strategy`` gives a working static binary."""
        remedies = {u.remedy for u in self.uses}
        if strategy is PLAIN:
            return not remedies
        if strategy is NETGO:
            return remedies <= {NETGO_TAG, OSUSERGO_TAG}
        if strategy is CGO_OFF:
            return self.cgo_off_refusal() is None
        if strategy is EXTERNAL_STATIC:
            return CANNOT_BE_STATIC not in remedies
        return False  # a strategy this analysis knows nothing of is tried in ladder order

    @property
    def without_fallback(self) -> tuple[str, ...]:
        """cgo packages that CGO_ENABLED=0 would build as a stub, or fail to build."""
        return tuple(u.package for u in self.uses if u.package not in _PURE_GO_FALLBACK)

    def cgo_off_refusal(self) -> str | None:
        """Why a build with cgo disabled must not be taken for this package, if it must not."""
        blockers = self.without_fallback
        if not blockers:
            return None
        return (
            f"{', '.join(blockers)} {'uses' if len(blockers) == 1 else 'use'} cgo with no "
            "pure-Go fallback: CGO_ENABLED=0 would compile a stub (or fail), never a working binary"
        )


def remedy_for(package: str, standard: bool) -> str:
    if standard and package in _PURE_GO_FALLBACK:
        return _PURE_GO_FALLBACK[package]
    if standard and package in _NEVER_STATIC:
        return CANNOT_BE_STATIC
    return EXTERNAL_LINK


def analyse(graph: PackageGraph, root: str) -> CgoAnalysis:
    """Breadth-first over ``Imports`` from ``root``: each cgo package with its shortest chain."""
    parents: dict[str, str | None] = {root: None}
    queue = deque([root])
    uses: list[CgoUse] = []
    while queue:
        path = queue.popleft()
        pkg = graph.by_path.get(path)
        if pkg is None:  # "C", or a package go could not load
            continue
        if pkg.uses_cgo:
            uses.append(CgoUse(path, _chain(parents, path), remedy_for(path, pkg.standard)))
        for imported in pkg.imports:
            if imported not in parents:
                parents[imported] = path
                queue.append(imported)
    return CgoAnalysis(root, tuple(uses))


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
    predict with the ladder `gostatic build` would climb there."""
    project = load_project((request.cwd / (request.go_args.workdir or ".")).resolve())
    graph = load_packages(request.go_args, request.env, request.cwd)
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
    return analyse(graph, pkg.import_path)._replace(
        ladder=project.strategies, predicted_needs=predict_needs(graph, pkg.import_path)
    )
