"""A guess of a main package's first rung from its own sources, without go list.

gostatic.builder.headstart starts the first go build of a cold build before go list has
given the import graph (from which gostatic.explain predicts the first rung). This reads
what it can cheaply: the directories the package arguments name, the package clause and
imports of their Go files (gostatic.go.header), and the packages of the same module they
import, in turn. A standard package that reaches `net` or `os/user` (whose cgo the
`netgo` strategy replaces) guesses `netgo`; standard packages alone, `plain`. What it
cannot see through gives no guess: an import from another module, of "C", a directory
it cannot read. Build constraints are not read: a file they exclude can make the guess
wrong, which costs a build stopped early, never a wrong result.
"""

from __future__ import annotations

import os

from gostatic.go.header import GoHeader, read_header
from gostatic.records import Record

# The standard packages a program can import that import net or os/user, directly or not
# (go 1.26; tests/test_headstart.py compares it with go list). A stale entry only makes
# a guess that go list then overrules.
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
# Imports after which the first rung is not for the imports alone to say: cgo of the
# program's own, a program that no static binary serves.
_NO_GUESS = frozenset({"C", "plugin", "runtime/cgo"})
_MAX_FILE_BYTES = 1 << 20
_MAX_PACKAGES = 400  # a larger graph is go list's to read, not a guess's


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


def find_module(directory: str) -> Module | None:
    """The module of the nearest go.mod at or above ``directory``; None outside one, or
    for a go.mod this does not read."""
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
        except (OSError, UnicodeDecodeError):
            return None
        words = [line.split() for line in lines if line.startswith("module ")]
        if len(words) != 1 or len(words[0]) != 2:
            return None
        return Module(here, words[0][1].strip('"`'))


def package_directory(base: str, packages: tuple[str, ...]) -> str | None:
    """The directory that the package arguments name, if they name one directory by its
    path (none names ``base``); None for anything else (an import path, a pattern, files)."""
    if len(packages) > 1:
        return None
    path = packages[0] if packages else "."
    if not (path in (".", "..") or path.startswith(("./", "../", "/"))) or "..." in path:
        return None
    if path.endswith(".go"):
        return None
    directory = os.path.join(base, path)
    return directory if os.path.isdir(directory) else None


def read_package(directory: str) -> GoHeader | None:
    """The package in ``directory``, as its non-test Go files' headers say (its name, and
    the imports of all of them); None if it has none, or one this cannot read, or files of
    different packages."""
    try:
        with os.scandir(directory) as entries:
            names = [e.name for e in entries if _is_source(e.name)]
    except OSError:
        return None
    headers = []
    for name in names:
        try:
            with open(os.path.join(directory, name), encoding="utf-8", errors="replace") as f:
                header = read_header(f.read(_MAX_FILE_BYTES))
        except OSError:
            return None
        if header is None:
            return None
        headers.append(header)
    if not headers or len({h.package for h in headers}) != 1:
        return None
    return GoHeader(headers[0].package, frozenset().union(*(h.imports for h in headers)))


def reaches_cgo_resolvers(package: GoHeader, module: Module) -> bool | None:
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
        if path in _NO_GUESS or len(seen) > _MAX_PACKAGES:
            return None
        local = module.directory(path)
        if local is not None:
            imported = read_package(local)
            if imported is None:
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
