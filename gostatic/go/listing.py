"""The `go list` command lines gostatic runs, built from the build's own flags so that
tags, GOFLAGS, GOOS/GOARCH and CGO_ENABLED select the same files as the build.

Kept apart from gostatic.go.packages, which reads go list's JSON: the fast paths start these
commands before (or without) importing json and the rest of the full path.
"""

from __future__ import annotations

from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from gostatic.go.flags import GoBuildArgs

FIELDS = "ImportPath,Name,Dir,Module,Error"
GRAPH_FIELDS = FIELDS + ",DepOnly,Imports,GoFiles,CgoFiles,CgoPkgConfig,Standard"

# One record per package, each field ended by NUL (which no path holds) and the record by
# the newline go adds: import path, name, directory, error marker.
LISTING_FORMAT = (
    '{{.ImportPath}}{{"\\x00"}}{{.Name}}{{"\\x00"}}{{.Dir}}{{"\\x00"}}'
    '{{if .Error}}error{{end}}{{"\\x00"}}'
)


def list_args(args: GoBuildArgs, *, deps: bool = True, fields: str = GRAPH_FIELDS) -> list[str]:
    """The go list that resolves the same packages as the build, as JSON; with ``deps``,
    every package linked in too (one process instead of two), each with ``fields``."""
    mode = ["-deps", f"-json={fields}"] if deps else [f"-json={FIELDS}"]
    return _command(args, mode)


def listing_args(args: GoBuildArgs) -> list[str]:
    """The go list that tells which packages the command line names now (the fast path of a
    pattern, gostatic.incremental.fast), in :data:`LISTING_FORMAT`. -find: the packages are
    found, their imports not resolved (a broken import fails the build, which sends it to
    the full path all the same)."""
    return _command(args, ["-find", "-f", LISTING_FORMAT])


def _command(args: GoBuildArgs, mode: list[str]) -> list[str]:
    flags = args.list_flags()
    first = [f for f in flags if f.startswith("-C=")]  # go rejects -C anywhere but first
    rest = [f for f in flags if not f.startswith("-C=")]
    return ["list", *first, "-e", *mode, *rest, "--", *args.packages]


def listing_env(env: Mapping[str, str], with_cgo: bool) -> Mapping[str, str]:
    """The environment packages are listed in: ``with_cgo`` when go turned cgo off itself
    (cross-compiling, or no C compiler found) and the user did not set CGO_ENABLED, so that
    a package whose files all import "C" lists as itself, not as excluded by build
    constraints: zig-static or a cross CC can still build it."""
    return {**env, "CGO_ENABLED": "1"} if with_cgo else env
