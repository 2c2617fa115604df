"""A cold build's guessed first rung, proved to be what go list would have predicted, so
that the build needs no go list unless a later rung asks for the import graph.

go list costs a cold build about 50 ms of CPU, spent while go build links on the same
2 cores: a net/http program's go build took 1.10x its own time with go list beside it
(medians of 15 alternating runs, 2026-11-30). The head start
(gostatic.builder.headstart) guesses a package's first rung from its own sources; for one
package named by its directory, or the one package a pattern of directories matches
(no library or directory of tests beside it, and no symbolic link in how go will spell
its directory), the guess is exact, and go list would only confirm it, where:

- every file read is one no build leaves out, and every package read is the module's
  own (gostatic.builder.sourceguess's :attr:`Reach.exact`), so that what they import is
  what the build imports;
- every import taken for a standard package is one: a directory of go env's GOROOT/src
  (a module whose path has no dot, through a replace or a go.work, looks the same);
- the table of standard packages that reach net or os/user is of this go's release;
- cgo is on, no GOEXPERIMENT is set, and neither the command line nor GOFLAGS gives
  -tags, -race, -msan, -asan, -overlay, -compiler or -modfile (each changes which files
  go list reads, what they hold, or which module is the main one).

Then go list would name one package, main, of this import path and module; the cgo of
its graph is that of net and os/user alone, which `netgo` replaces, if the imports reach
them (gostatic.explain predicts `netgo`), and none otherwise (`plain`); and it would show
no `#cgo pkg-config` directive and no import of plugin, since no standard package has
the one or imports the other (tests/test_guessproof.py checks both against go list).

The full path (gostatic.builder.full) takes the proof only once the guessed build has
succeeded: a build that fails goes the way it always went, with go list's graph, so
that go's error is reported as go list would have it. A binary that is then not taken
(dynamic, or with a hazard) climbs on, and the rungs that need the graph list it
(gostatic.builder.graphfacts).
"""

from __future__ import annotations

import os

from gostatic.builder.sourceguess import REACH_RELEASE
from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from gostatic.go.env import GoEnv
    from gostatic.go.packages import ListedPackage
    from gostatic.go.session import GoCommand

# The flags that change which files go list reads, what they hold (-overlay), or which
# go.mod is the main module's.
_UNPROVED_FLAGS = frozenset({"tags", "race", "msan", "asan", "overlay", "compiler", "modfile"})


class GuessProof(Record):
    """One main package's guessed first rung, and what must hold for it to be exact."""

    import_path: str
    directory: str
    module: str
    imports: frozenset[str]  # its own files' imports
    standard: frozenset[str]  # every import its graph takes for a standard package
    strategy: str  # the first rung: plain or netgo
    build: GoCommand  # the guessed build, whose success the proof waits for

    def holds(self, goenv: GoEnv) -> bool:
        """Whether what go env says leaves the guess exact (see the module's docstring)."""
        release = goenv.version
        of_table = release == REACH_RELEASE or release.startswith(
            (REACH_RELEASE + ".", REACH_RELEASE + "rc")
        )
        if not (of_table and goenv.cgo_enabled and goenv.goroot):
            return False
        sources = os.path.join(goenv.goroot, "src")
        return all(os.path.isdir(os.path.join(sources, *p.split("/"))) for p in self.standard)

    def listed(self) -> ListedPackage:
        """The package as go list would name it."""
        from gostatic.go.packages import ListedPackage

        return ListedPackage(
            import_path=self.import_path,
            name="main",
            dir=self.directory,
            module=self.module,
            error=None,
            imports=tuple(sorted(self.imports)),
        )


def flags_leave_it_exact(flag_names: set[str]) -> bool:
    """Whether the flags named (of the command line and GOFLAGS) leave a guess exact."""
    return not flag_names & _UNPROVED_FLAGS
