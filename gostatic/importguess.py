"""A guess of the first rung from the packages' own source, without go list.

gostatic.coldstart starts the first go build of a cold build before go list has given the
import graph (gostatic.explain predicts the first rung from it). This reads what it can
cheaply: the directories the package arguments name, the package clause and imports of
their Go files (gostatic.goimports), and the packages of the same module they import, in
turn. A standard package that reaches `net` or `os/user` (whose cgo the `netgo` strategy
replaces) guesses `netgo`, standard packages alone `plain`. Anything it cannot see through
gives no guess: an import from another module, of "C", build constraints it does not read
(a wrong guess is only a build stopped early).
"""

from __future__ import annotations

import os

from gostatic.goimports import go_header
from gostatic.records import Record

# The standard packages that import net or os/user, directly or not (go 1.26).
REACH_CGO_RESOLVERS = frozenset(
    {
        "archive/tar",
        "crypto/tls",
        "crypto/x509",
        "expvar",
        "log/syslog",
        "mime/multipart",
        "net",
        "net/http",
        "net/http/cgi",
        "net/http/cookiejar",
        "net/http/fcgi",
        "net/http/httptest",
        "net/http/httptrace",
        "net/http/httputil",
        "net/http/pprof",
        "net/mail",
        "net/rpc",
        "net/rpc/jsonrpc",
        "net/smtp",
        "net/textproto",
        "os/user",
    }
)
# Imports after which the first rung is not net/os-user's alone: cgo of the program's own,
# a program no static binary serves.
_NO_GUESS = frozenset({"C", "plugin", "runtime/cgo"})
_MAX_FILE_BYTES = 1 << 20
_MAX_DIRECTORIES = 400  # a tree larger than this is go list's to read, not a guess's
_SKIPPED = ("testdata", "vendor")  # with names that start with "." or "_": not in ./...


class Module(Record):
    """The module a directory belongs to: its root (where go.mod is) and its path."""

    root: str
    path: str

    def import_path(self, directory: str) -> str:
        below = os.path.relpath(os.path.abspath(directory), self.root)
        return self.path if below == "." else f"{self.path}/{below.replace(os.sep, '/')}"

    def directory(self, import_path: str) -> str | None:
        """Where a package of this module is; None for another module's."""
        if import_path == self.path:
            return self.root
        if import_path.startswith(self.path + "/"):
            return os.path.join(self.root, *import_path[len(self.path) + 1 :].split("/"))
        return None


class Package(Record):
    name: str
    imports: frozenset[str]


def find_module(directory: str) -> Module | None:
    """The module of the nearest go.mod at or above ``directory``; None outside one."""
    here = os.path.abspath(directory)
    while True:
        try:
            with open(os.path.join(here, "go.mod"), encoding="utf-8") as f:
                lines = f.read(_MAX_FILE_BYTES).splitlines()
        except FileNotFoundError:
            parent = os.path.dirname(here)
            if parent == here:
                return None
            here = parent
            continue
        words = [ln.split() for ln in lines if ln.startswith("module ")]
        if len(words) != 1 or len(words[0]) != 2:
            return None
        return Module(here, words[0][1].strip('"`'))


def package_directories(base: str, arguments: list[str]) -> list[str] | None:
    """The directories the package arguments name: directory paths, each perhaps with
    "/..." after it (what go matches there); None for anything else."""
    found: list[str] = []
    for argument in arguments:
        tree = argument == "..." or argument.endswith("/...")
        path = argument.removesuffix("...").removesuffix("/") or "."
        if not (path in (".", "..") or path.startswith(("./", "../", "/"))) or "..." in path:
            return None
        directory = os.path.join(base, path)
        if not os.path.isdir(directory):
            return None
        found += _tree(directory) if tree else [directory]
        if len(found) > _MAX_DIRECTORIES:
            return None
    return found


def _tree(top: str) -> list[str]:
    """``top`` and the directories below it that ./... matches: not testdata, vendor or
    names that start with "." or "_", not another module's."""
    found = [top]
    for here, subdirs, _ in os.walk(top):
        subdirs[:] = [
            d
            for d in subdirs
            if not d.startswith((".", "_"))
            and d not in _SKIPPED
            and not os.path.exists(os.path.join(here, d, "go.mod"))
        ]
        found += (os.path.join(here, d) for d in subdirs)
        if len(found) > _MAX_DIRECTORIES:
            break
    return found


def read_package(directory: str) -> Package | None:
    """The package in ``directory`` from its non-test Go files; None if it has none, or one
    this cannot read, or files of different packages."""
    try:
        with os.scandir(directory) as entries:
            names = [e.name for e in entries if _is_source(e.name)]
    except OSError:
        return None
    headers = []
    for name in names:
        try:
            with open(os.path.join(directory, name), encoding="utf-8", errors="replace") as f:
                header = go_header(f.read(_MAX_FILE_BYTES))
        except OSError:
            return None
        if header is None:
            return None
        headers.append(header)
    if not headers or len({n for n, _ in headers}) != 1:
        return None
    return Package(headers[0][0], frozenset(p for _, imports in headers for p in imports))


def reaches_cgo_resolvers(package: Package, module: Module) -> bool | None:
    """Whether the package, through the standard library and its own module's packages,
    imports a standard package that reaches net or os/user; None where this cannot tell."""
    seen: set[str] = set()
    pending = list(package.imports)
    reaches = False
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        if path in _NO_GUESS:
            return None
        local = module.directory(path)
        if local is not None:
            imported = read_package(local)
            if imported is None or len(seen) > _MAX_DIRECTORIES:
                return None
            pending += imported.imports
        elif "." in path.partition("/")[0]:
            return None  # another module's: go list knows what it imports
        else:
            reaches = reaches or path in REACH_CGO_RESOLVERS
    return reaches


def _is_source(name: str) -> bool:
    return (
        name.endswith(".go") and not name.endswith("_test.go") and not name.startswith(("_", "."))
    )
