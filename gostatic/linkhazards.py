"""Hazards named by glibc's static linker in a build that succeeded.

glibc marks the functions that load shared libraries at run time, and GNU ld repeats the
mark whenever a static link uses one: "Using 'dlopen' in statically linked applications
requires at runtime the shared libraries from the glibc version used for linking". For
``dlopen`` (and ``dlmopen``) that is the program loading libraries itself; for every other
function so marked (getaddrinfo, getpwnam, gethostbyname, getservbyname, initgroups...)
it is glibc's NSS, which loads the libnss_*.so modules /etc/nsswitch.conf names. The
binary cannot show who calls dlopen when the caller is C code (see gostatic.elfscan), so
the linker's words are the evidence, and they name the caller: the archive member, or for
a Go package's cgo code the C source file, whose directory is the package's.

Go prints the linker's output only when it links: when ``go build -o`` finds the output
up to date it says nothing, so these hazards must be kept with the binary they describe.
"""

from __future__ import annotations

import os
import re

from gostatic.linkerlog import GO_OBJECT_PREFIX, StaticWarning, read_linker_log

TYPE_CHECKING = False  # see gostatic.records: typing is not imported on the build path
if TYPE_CHECKING:
    from collections.abc import Mapping

DLOPEN = "dlopen"
NSS = "nss"
_DLOPEN_FUNCTIONS = frozenset({"dlopen", "dlmopen"})

# Known ways to build a package without the call: (module, kind) -> what to do.
_REMEDIES = {
    ("github.com/mattn/go-sqlite3", DLOPEN): (
        "build with -tags sqlite_omit_load_extension (SQLite without its extension loader)"
    ),
}
_NSS_REMEDY = (
    "netgo,osusergo cannot replace a C caller's lookups; a musl toolchain (musl-static, "
    "zig-static) links without glibc's NSS"
)
# A package directory as go -trimpath names it to the C compiler: "/_/MODULE@VERSION/SUB"
# ("/_/MODULE/SUB" for the main module).
_TRIMMED_DIR = re.compile(r"^/_/(?P<module>[^@]+)(?:@[^/]+)?(?P<sub>/.*)?$")


def kind_of(function: str) -> str:
    """The hazard a warned-about function stands for."""
    return DLOPEN if function in _DLOPEN_FUNCTIONS else NSS


def package_of(location: str, package_dirs: Mapping[str, str]) -> str | None:
    """The Go package whose source file ``location`` ("/dir/file.c:123") is, from the
    graph's directory -> import path map; also for go -trimpath's "/_/module@version/file.c"."""
    directory = os.path.dirname(location.rsplit(":", 1)[0] if ":" in location else location)
    if not directory:
        return None
    found = package_dirs.get(directory)
    if found is not None:
        return found
    trimmed = _TRIMMED_DIR.match(directory)
    if trimmed is None:
        return None
    candidate = trimmed["module"] + (trimmed["sub"] or "")
    return candidate if candidate in package_dirs.values() else None


def _caller(warning: StaticWarning, package_dirs: Mapping[str, str]) -> tuple[str, str | None]:
    """(how the caller is named, its Go package if known)."""
    package = package_of(warning.location, package_dirs) if warning.location else None
    if package is not None:
        source = os.path.basename(warning.location.rsplit(":", 1)[0])
        return f"{package} ({source})", package
    if warning.caller.startswith(GO_OBJECT_PREFIX) or not warning.caller:
        return "the program's cgo code", None
    archive, paren, member = warning.caller.partition("(")
    return (os.path.basename(archive) + paren + member if paren else warning.caller), None


def _remedy(package: str | None, kind: str) -> str | None:
    if kind == NSS:
        return _NSS_REMEDY
    if package is None:
        return None
    return next(
        (
            remedy
            for (module, known), remedy in _REMEDIES.items()
            if known == kind and (package == module or package.startswith(module + "/"))
        ),
        None,
    )


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
) -> tuple[tuple[str, str], ...]:
    """(kind, detail) for each caller the static linker warned about, in the order warned:
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
        (kind, _detail(caller, kind, functions, _remedy(packages[kind, caller], kind)))
        for (kind, caller), functions in grouped.items()
    )
