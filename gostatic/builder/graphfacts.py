"""What the climbs of one build learn from its package graph, each fact worked out on first
need and then shared by every package of the build.

The graph is go list's, listed on first need too: where the head start's guess is proved
exact (gostatic.builder.guessproof), the first rung, the plugin refusal and the plan's
pkg-config directives are known without it, and a build whose first rung is taken never
lists it.

- each main package's first rung and cgo analysis (gostatic.explain), with go's cgo
  setting;
- whether a main package imports plugin (gostatic.pluginuse);
- what a build without cgo makes of its cgo packages (gostatic.cgo.cgooff): a second go list,
  with CGO_ENABLED=0, run only when a rung with cgo off is about to be tried for a package
  whose cgo has no standard fallback;
- the environment a static rung needs for `#cgo pkg-config` packages (gostatic.cgo.pkgconfig);
- package directories by import path, to name the Go package behind a linker's warning
  (gostatic.cgo.linkhazards), and the package manager's lookup that names what provides a
  missing file (gostatic.cgo.linkreason), asked only when a link fails.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from gostatic.explain import CgoAnalysis, analyse
from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from gostatic.builder.guessproof import GuessProof
    from gostatic.builder.results import BuildRequest
    from gostatic.cgo.cgooff import SourceFacts
    from gostatic.cgo.linkreason import OwnerLookup
    from gostatic.go.env import GoEnv
    from gostatic.go.packages import PackageGraph
    from gostatic.go.session import GoSession
    from gostatic.strategies import Strategy


class GraphFacts:
    """The facts of one build's package graph (see the module's docstring)."""

    def __init__(
        self,
        list_graph: Callable[[], PackageGraph],
        request: BuildRequest,
        goenv: GoEnv,
        session: GoSession,
        cache_root: Path,
        proof: GuessProof | None = None,
    ) -> None:
        self._list_graph = list_graph
        self.request = request
        self.goenv = goenv
        self.session = session
        self.cache_root = cache_root
        self.proof = proof  # one package's guess, proved exact: what go list would say
        self._analyses: dict[str, CgoAnalysis] = {}

    @cached_property
    def graph(self) -> PackageGraph:
        """go list's graph of the build (run now, unless it ran already)."""
        return self._list_graph()

    def first_expected(self, package: str, ladder: Sequence[Strategy]) -> str | None:
        """The first rung of ``ladder`` the graph says gives a working static binary."""
        if self.proof is not None and package == self.proof.import_path:
            return self.proof.strategy  # plain or netgo: no project file reorders the ladder
        return self.analysis(package).first_expected(ladder)

    def imports_plugin(self, package: str) -> bool:
        """Whether the main package reaches Go's plugin package (gostatic.pluginuse)."""
        if self.proof is not None:
            return False  # the standard library's and the guess's own packages: none does
        from gostatic import pluginuse

        return pluginuse.imports_plugin(self.graph, package)

    def analysis(self, package: str) -> CgoAnalysis:
        """One main package's cgo analysis, not yet judged for a build without cgo."""
        found = self._analyses.get(package)
        if found is None:
            found = self._analyses[package] = analyse(self.graph, package)._replace(
                cgo_default=self.goenv.cgo_enabled,
                cgo_forbidden=self.request.env.get("CGO_ENABLED") == "0",
            )
        return found

    def judged(self, analysis: CgoAnalysis) -> CgoAnalysis:
        """``analysis`` with its verdicts on a build without cgo (one go list per build)."""
        if analysis.verdicts is not None or not analysis.without_fallback:
            return analysis
        from gostatic.cgo import cgooff  # only for cgo without a standard fallback (rare)

        return analysis.judged(cgooff.graph_facts(self.graph), self._without_cgo)

    @cached_property
    def _without_cgo(self) -> dict[str, SourceFacts] | None:
        from gostatic.cgo import cgooff  # only for cgo without a standard fallback (rare)

        request = self.request
        cwd = Path(request.cwd)
        return cgooff.list_without_cgo(request.go_args, request.env, cwd, self.session)

    @cached_property
    def package_dirs(self) -> dict[str, str]:
        """Each package's directory -> its import path."""
        return {p.dir: path for path, p in self.graph.by_path.items() if p.dir}

    @cached_property
    def static_env(self) -> dict[str, str]:
        """What a static rung adds to its environment so that every `#cgo pkg-config`
        package of the build links with ``pkg-config --static``; empty when none does."""
        directives = self.pkg_config_directives
        if not directives:
            return {}
        from gostatic.cgo.pkgconfig import static_pkg_config_env

        return static_pkg_config_env(
            pkg_config=self.goenv.pkg_config,
            cppflags=self.goenv.cgo_cppflags,
            directives=directives,
            cache_dir=str(self.cache_root),
            env=self.request.env,
        )

    @cached_property
    def pkg_config_directives(self) -> tuple[tuple[str, ...], ...]:
        """Every cgo package's `#cgo pkg-config:` arguments, in go list's order: the whole
        build's, so that every main package's static rung gets the same environment (the
        fast path builds them in one go build)."""
        if self.proof is not None:
            return ()  # no standard package has one, and the proof's packages have no cgo
        return tuple(p.pkg_config for p in self.graph.by_path.values() if p.pkg_config)

    @cached_property
    def owners(self) -> OwnerLookup:
        from gostatic.cgo.linkreason import dpkg_owners

        return dpkg_owners(self.request.env)
