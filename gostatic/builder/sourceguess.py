"""A guess of a main package's first rung from its own sources, without go list.

gostatic.builder.headstart starts the first go build of a cold build before go list has
given the import graph (from which gostatic.explain predicts the first rung). This reads
what it can cheaply: the directories the package arguments name, the package clause and
imports of their Go files (gostatic.go.header), and the packages of the same module they
import, in turn. A standard package that reaches `net` or `os/user` (whose cgo the
`netgo` strategy replaces) guesses `netgo`; standard packages alone, `plain`. What it
cannot see through gives no guess: an import from another module, of "C", a directory
it cannot read. Build constraints are not read: a file they exclude can make the guess
wrong, which costs a build stopped early, never a wrong result. Where no file it read
can be excluded by one (no constraint line, no operating system or architecture in its
name), the guess is exact in what it says of the module's own packages
(:attr:`Reach.exact`): gostatic.builder.guessproof builds on that.
"""

from __future__ import annotations

import os

from gostatic.go.header import GoHeader, read_header
from gostatic.incremental.codec import read_regular
from gostatic.records import Record

# The standard packages a program can import that import net or os/user, directly or not
# (of REACH_RELEASE; tests/test_headstart.py compares it with go list). A stale entry
# only makes a guess that go list then overrules.
REACH_RELEASE = "go1.26"
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
# The words of a file name that make go build it only for some targets ("_linux.go",
# "_arm64.go"): a name holding any of them is taken for a constrained file.
_TARGET_WORDS = frozenset(
    {
        "aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js",
        "linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos",
        "386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "loong64", "mips",
        "mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "ppc64", "ppc64le",
        "riscv", "riscv64", "s390", "s390x", "sparc", "sparc64", "wasm",
    }
)  # fmt: skip
_MAX_FILE_BYTES = 1 << 20
_MAX_PACKAGES = 400  # a larger graph is go list's to read, not a guess's


class Module(Record):
    """The module a directory belongs to: its root (where go.mod is) and its path."""

    root: str
    path: str

    def import_path(self, directory: str) -> str:
        below = os.path.relpath(os.path.abspath(directory), self.root)
        return self.path if below == "." else f"{self.path}/{below.replace(os.sep, '/')}"

    def holds(self, directory: str) -> bool:
        """Whether ``directory`` is this module's own: at or below its root, with no
        go.mod of another module on the way."""
        here = os.path.abspath(directory)
        while here.startswith(self.root + os.sep):
            if os.path.lexists(os.path.join(here, "go.mod")):
                return False
            here = os.path.dirname(here)
        return here == self.root

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
        go_mod = os.path.join(here, "go.mod")
        data = read_regular(go_mod, _MAX_FILE_BYTES)
        if data is None:
            parent = os.path.dirname(here)
            if os.path.lexists(go_mod) or parent == here:
                return None  # not a file this reads (a FIFO would block), or no module
            here = parent
            continue
        lines = data.decode("utf-8", "replace").splitlines()
        words = [line.split() for line in lines if line.startswith("module ")]
        if len(words) != 1 or len(words[0]) != 2:
            return None
        return Module(here, words[0][1].strip('"`'))


def package_directories(base: str, packages: tuple[str, ...]) -> list[str] | None:
    """The directories the package arguments name (none names ``base``): directory paths,
    each perhaps followed by "/..." (the directories below it that go matches there);
    None for anything else (an import path, files, a tree too large to guess from)."""
    found: list[str] = []
    for argument in packages or (".",):
        tree = argument == "..." or argument.endswith("/...")
        path = argument.removesuffix("...").removesuffix("/") or "."
        if not (path in (".", "..") or path.startswith(("./", "../", "/"))) or "..." in path:
            return None
        directory = os.path.join(base, path)
        if path.endswith(".go") or not os.path.isdir(directory):
            return None
        found += _tree(directory) if tree else [directory]
        if len(found) > _MAX_PACKAGES:
            return None
    return found


def _tree(top: str) -> list[str]:
    """``top`` and the directories below it that a "/..." pattern matches in module mode:
    not testdata or vendor, no name that starts with "." or "_", no symbolic link, not
    another module's."""
    found = [top]
    for here, subdirs, _ in os.walk(top):
        subdirs[:] = [
            d
            for d in subdirs
            if not d.startswith((".", "_"))
            and d not in ("testdata", "vendor")
            and not os.path.islink(os.path.join(here, d))
            and not os.path.exists(os.path.join(here, d, "go.mod"))
        ]
        found += (os.path.join(here, d) for d in subdirs)
        if len(found) > _MAX_PACKAGES:
            break
    return found


def read_packages(directories: list[str]) -> dict[str, GoHeader] | None:
    """The package in each directory that holds one (a directory without Go files holds
    none); None if one of them cannot be read (see :func:`read_package`)."""
    found = {}
    for directory in directories:
        names = _sources(directory)
        if names is None:
            return None
        if names:
            package = _read_files(directory, names)
            if package is None:
                return None
            found[directory] = package
    return found


def tests_only(directories: list[str]) -> int:
    """How many of the directories hold Go test files and no other Go file: packages go
    list names in a pattern, of which go build builds nothing. An unreadable directory
    counts as one."""
    count = 0
    for directory in directories:
        try:
            with os.scandir(directory) as entries:
                names = [e.name for e in entries if e.name.endswith(".go")]
        except OSError:
            count += 1
            continue
        tests = [n for n in names if n.endswith("_test.go") and not n.startswith(("_", "."))]
        count += bool(tests) and not any(_is_source(n) for n in names)
    return count


def read_package(directory: str) -> GoHeader | None:
    """The package in ``directory``, as its non-test Go files' headers say (its name, and
    the imports of all of them); None if it has none, or one this cannot read, or files of
    different packages."""
    names = _sources(directory)
    return _read_files(directory, names) if names else None


def _sources(directory: str) -> list[str] | None:
    """The names of the Go files go builds in ``directory`` (build constraints aside);
    None if it cannot be read."""
    try:
        with os.scandir(directory) as entries:
            return [e.name for e in entries if _is_source(e.name)]
    except OSError:
        return None


def _read_files(directory: str, names: list[str]) -> GoHeader | None:
    headers = []
    constrained = False
    for name in names:
        data = read_regular(os.path.join(directory, name), _MAX_FILE_BYTES)
        text = data.decode("utf-8", "replace") if data is not None else None
        header = read_header(text) if text is not None else None
        if text is None or header is None:
            return None  # unreadable, not a regular file, or a header this does not read
        headers.append(header)
        constrained = constrained or _may_be_excluded(name, text)
    if len({h.package for h in headers}) != 1:
        return None
    imports = frozenset().union(*(h.imports for h in headers))
    return GoHeader(headers[0].package, imports, constrained)


def _may_be_excluded(name: str, text: str) -> bool:
    """Whether a build may leave this file out: it holds what may be a build constraint
    (go reads only lines before the package clause; any mention counts here), or a word
    of its name after the first "_" names a target (go reads only the last two)."""
    words = name.removesuffix(".go").split("_")[1:]
    return "go:build" in text or "+build" in text or any(w in _TARGET_WORDS for w in words)


class Reach(Record):
    """What a package's imports reach through the standard library and its own module's
    packages."""

    cgo_resolvers: bool  # a standard package that reaches net or os/user
    # No file read may be left out by a build, and every package read is of the module
    # itself (no other go.mod on the way): what these files import, the build imports.
    exact: bool
    standard: frozenset[str]  # the imports taken for standard packages


def trace_imports(package: GoHeader, module: Module) -> Reach | None:
    """Follow the package's imports through its own module's packages; None where this
    cannot tell what they reach (see the module's docstring)."""
    seen: set[str] = set()
    pending = list(package.imports)
    standard: set[str] = set()
    exact = not package.constrained
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
            exact = exact and not imported.constrained and module.holds(local)
            pending += imported.imports
        elif "." in path.partition("/")[0]:
            return None  # another module's: go list knows what it imports
        else:
            standard.add(path)  # so it seems: gostatic.builder.guessproof makes sure
    return Reach(bool(standard & REACH_CGO_RESOLVERS), exact, frozenset(standard))


def _is_source(name: str) -> bool:
    return (
        name.endswith(".go") and not name.endswith("_test.go") and not name.startswith(("_", "."))
    )
