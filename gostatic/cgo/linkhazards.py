"""Hazards named by glibc's static linker in a build that succeeded.

glibc marks the functions that load shared libraries at run time, and GNU ld repeats the
mark whenever a static link uses one: "Using 'dlopen' in statically linked applications
requires at runtime the shared libraries from the glibc version used for linking". For
``dlopen`` (and ``dlmopen``) that is the program loading libraries itself; for every other
function so marked (getaddrinfo, getpwnam, gethostbyname, getservbyname, initgroups...)
it is glibc's NSS, which loads the libnss_*.so modules /etc/nsswitch.conf names. The
binary cannot show who calls dlopen when the caller is C code (see gostatic.elf.scan), so
the linker's words are the evidence, and they name the caller: the archive member, or for
a Go package's cgo code the C source file, whose directory is the package's.

Go prints the linker's output only when it links: when ``go build -o`` finds the output
up to date it says nothing, so these hazards must be kept with the binary they describe.
"""

from __future__ import annotations

import os
import re

from gostatic.cgo.linkerlog import GO_OBJECT_PREFIX, StaticWarning, read_linker_log
from gostatic.elf.hazard import Hazard
from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

DLOPEN = "dlopen"
NSS = "nss"
_DLOPEN_FUNCTIONS = frozenset({"dlopen", "dlmopen"})

# Known ways to build a package without the call: (module, kind or None for any, remedy).
_REMEDIES: tuple[tuple[str, str | None, str], ...] = (
    (
        "github.com/mattn/go-sqlite3",
        DLOPEN,
        "build with -tags sqlite_omit_load_extension (SQLite without its extension loader)",
    ),
    (
        "github.com/confluentinc/confluent-kafka-go",
        None,
        "build with -tags musl and a musl toolchain (musl-static): confluent-kafka-go then "
        "links its librdkafka archive for musl",
    ),
)
_NSS_REMEDY = (
    "netgo,osusergo cannot replace a C caller's lookups; a musl toolchain (musl-static, "
    "zig-static) links without glibc's NSS"
)
# An archive may sit in a directory of its own below its package's (librdkafka_vendor/).
_PARENT_LEVELS = 2
# A package directory as go -trimpath names it to the C compiler: "/_/MODULE@VERSION/SUB"
# ("/_/MODULE/SUB" for the main module). Text, compiled on first use (gostatic.cgo.linkerlog).
_TRIMMED_DIR = r"^/_/(?P<module>[^@]+)(?:@[^/]+)?(?P<sub>/.*)?$"


def kind_of(function: str) -> str:
    """The hazard a warned-about function stands for."""
    return DLOPEN if function in _DLOPEN_FUNCTIONS else NSS


def package_of(path: str, package_dirs: Mapping[str, str]) -> str | None:
    """The Go package a file belongs to: a source location ("/dir/file.c:123") or an
    archive ("/dir/lib/libx.a"), matched to the nearest enclosing package directory of
    the graph's directory -> import path map; go -trimpath's "/_/module@version/file.c"
    is matched by import path."""
    directory = os.path.dirname(path.rsplit(":", 1)[0] if ":" in path else path)
    trimmed = re.match(_TRIMMED_DIR, directory)
    if trimmed is not None:
        candidate = trimmed["module"] + (trimmed["sub"] or "")
        return candidate if candidate in package_dirs.values() else None
    for _ in range(_PARENT_LEVELS + 1):
        if not directory or directory == os.path.dirname(directory):
            return None
        found = package_dirs.get(directory)
        if found is not None:
            return found
        directory = os.path.dirname(directory)
    return None


def _caller(warning: StaticWarning, package_dirs: Mapping[str, str]) -> tuple[str, str | None]:
    """(how the caller is named, its Go package if known)."""
    archive, paren, member = warning.caller.partition("(")
    if warning.location:
        package = package_of(warning.location, package_dirs)
        if package is not None:
            source = os.path.basename(warning.location.rsplit(":", 1)[0])
            return f"{package} ({source})", package
    if warning.caller.startswith(GO_OBJECT_PREFIX) or not warning.caller:
        return "the program's cgo code", None
    shown = os.path.basename(archive) + paren + member if paren else warning.caller
    package = package_of(archive, package_dirs) if paren else None
    return (f"{package} ({shown})" if package else shown), package


def _remedy(package: str | None, kind: str) -> str | None:
    known = (
        remedy
        for module, known_kind, remedy in _REMEDIES
        if package is not None
        and known_kind in (None, kind)
        and (package == module or package.startswith(module + "/"))
    )
    return next(known, _NSS_REMEDY if kind == NSS else None)


def _detail(caller: str, kind: str, functions: list[str], remedy: str | None) -> str:
    calls = ", ".join(functions)
    if kind == DLOPEN:
        what = "the libraries it loads must be present at run time"
    else:
        what = "glibc's NSS loads libnss_*.so modules at run time for it"
    detail = f"{caller} calls {calls}: {what} (the static linker's warning)"
    return f"{detail}; {remedy}" if remedy else detail


def linker_hazards(
    stderr: str, package_dirs: Mapping[str, str] | None = None
) -> tuple[Hazard, ...]:
    """A hazard for each caller the static linker warned about, in the order warned:
    kind "dlopen" or "nss". ``package_dirs`` maps a package's directory to its import path
    (from the build's package graph) so that a cgo caller is named by its package."""
    dirs = package_dirs or {}
    grouped: dict[tuple[str, str], list[str]] = {}
    packages: dict[tuple[str, str], str | None] = {}
    for warning in read_linker_log(stderr).warnings:
        caller, package = _caller(warning, dirs)
        key = (kind_of(warning.function), caller)
        functions = grouped.setdefault(key, [])
        if warning.function not in functions:
            functions.append(warning.function)
        packages[key] = package
    return tuple(
        Hazard(kind, _detail(caller, kind, functions, _remedy(packages[kind, caller], kind)))
        for (kind, caller), functions in grouped.items()
    )
