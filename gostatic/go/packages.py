"""Which packages a `go build` command line names, and where go would write each binary."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from gostatic.errors import GoCommandError, UsageError
from gostatic.go.cmd import run_go
from gostatic.go.flags import GoBuildArgs, output_for
from gostatic.go.listing import list_args
from gostatic.go.session import GoSession
from gostatic.records import Record

COMMAND_LINE_ARGUMENTS = "command-line-arguments"
_VERSION_ELEMENT = re.compile(r"v([2-9]|[1-9][0-9]+)")


class ListedPackage(Record):
    import_path: str
    name: str
    dir: str
    module: str | None
    error: str | None
    imports: tuple[str, ...] = ()
    uses_cgo: bool = False  # has cgo files in this build configuration
    standard: bool = False
    go_files: tuple[str, ...] = ()  # compiled, without the cgo files
    cgo_files: tuple[str, ...] = ()  # the files that import "C"
    pkg_config: tuple[str, ...] = ()  # its `#cgo pkg-config:` arguments

    @property
    def is_main(self) -> bool:
        return self.name == "main" and self.error is None


class PackageGraph(Record):
    """What one `go list` says about a build: the packages it names and, with ``-deps``,
    every package linked into them, by import path."""

    named: tuple[ListedPackage, ...]
    by_path: Mapping[str, ListedPackage]


def _decode_stream(text: str) -> list[dict[str, object]]:
    """`go list -json` prints one JSON object after another, not an array."""
    decoder = json.JSONDecoder()
    out: list[dict[str, object]] = []
    i = 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        try:
            obj, i = decoder.raw_decode(text, i)
        except json.JSONDecodeError:
            raise GoCommandError("go list printed something that is not JSON") from None
        if isinstance(obj, dict):
            out.append(obj)


def load_packages(
    args: GoBuildArgs,
    env: Mapping[str, str],
    cwd: Path | None,
    *,
    deps: bool = True,
    session: GoSession | None = None,
) -> PackageGraph:
    """One `go list` with the build's own flags, so tags, GOFLAGS, GOOS/GOARCH and
    CGO_ENABLED select the same files as the build will.

    With ``deps`` the same call also yields the import graph (one process instead of
    two; on a net/http program, 186 packages, it costs ~6 ms more than listing only the
    named packages).
    """
    runner = session.run if session is not None else run_go
    result = runner(list_args(args, deps=deps), env=env, cwd=cwd, check=False)
    if not result.ok:
        # Bad patterns or a broken go.mod: go's own words, as go build would print them.
        raise GoCommandError(result.stderr.strip() or "go list failed")
    named: list[ListedPackage] = []
    by_path: dict[str, ListedPackage] = {}
    for obj in _decode_stream(result.stdout):
        pkg = _listed(obj)
        by_path[pkg.import_path] = pkg
        if not obj.get("DepOnly"):
            named.append(pkg)
    return PackageGraph(tuple(named), by_path)


def _listed(obj: Mapping[str, object]) -> ListedPackage:
    module = obj.get("Module")
    error = obj.get("Error")
    cgo_files = _strings(obj, "CgoFiles")
    return ListedPackage(
        import_path=str(obj.get("ImportPath", "")),
        name=str(obj.get("Name", "")),
        dir=str(obj.get("Dir", "")),
        module=str(module.get("Path")) if isinstance(module, dict) else None,
        error=str(error.get("Err")) if isinstance(error, dict) else None,
        imports=_strings(obj, "Imports"),
        uses_cgo=bool(cgo_files),
        standard=obj.get("Standard") is True,
        go_files=_strings(obj, "GoFiles"),
        cgo_files=cgo_files,
        pkg_config=_strings(obj, "CgoPkgConfig"),
    )


def _strings(obj: Mapping[str, object], key: str) -> tuple[str, ...]:
    """A list of strings from go list's JSON (untrusted: anything else is none)."""
    value = obj.get(key)
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def exe_name(pkg: ListedPackage, packages: Sequence[str], goexe: str) -> str:
    """The file name go build gives a main package's binary."""
    if pkg.import_path == COMMAND_LINE_ARGUMENTS:
        first = next((p for p in packages if p.endswith(".go")), "main.go")
        return os.path.basename(first)[: -len(".go")] + goexe
    head, _, elem = pkg.import_path.rpartition("/")
    # example.com/mycmd/v2 installs as mycmd, as go does (golang.org/issue/24667).
    if head and _VERSION_ELEMENT.fullmatch(elem):
        elem = head.rpartition("/")[2]
    return elem + goexe


def resolve_outputs(
    mains: Sequence[ListedPackage],
    named: int,
    args: GoBuildArgs,
    base: Path,
    goexe: str,
) -> tuple[str | None, ...]:
    """Where each main package's binary goes, with go's rules for ``-o``; ``named``: how
    many packages the command line names, main or not, loaded or not.

    No ``-o``: a command line that names one package, a main one, writes it to
    ``./NAME``; one that names several builds them and writes nothing. ``-o DIR/`` (or
    an existing directory): ``DIR/NAME`` for each main package. ``-o FILE``: one package
    only.
    """
    out = args.output
    names = [exe_name(p, args.packages, goexe) for p in mains]
    if not mains:
        return ()
    if out == os.devnull:
        return tuple(None for _ in mains)  # go builds and writes nothing
    if out is None:
        return (names[0],) if named == 1 else tuple(None for _ in mains)
    if out.endswith(("/", os.sep)) or (base / out).is_dir():
        return tuple(output_for(out, n, base) for n in names)
    if named == 1:
        return (out,)
    # go says "cannot write multiple packages to non-directory", and builds nothing.
    raise UsageError("-o names a file but the command line names several packages")
