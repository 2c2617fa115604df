"""Why a rung's C link (or cgo's C compile) failed, in one line a packager can act on.

gostatic.cgo.linkerlog reads the facts from go's stderr; this module turns them into a
summary that names what is missing (a static archive such as ``libsystemd.a``, a header,
the symbols an archive needs) and, where the system's package manager can tell, which
installed package the nearest file comes from. On Debian that is ``dpkg-query -S``, which
knows installed files only: for a static archive that is missing it names the package of
the shared library that *is* installed (``libsystemd.so.0`` is libsystemd0's), which is
where a packager starts looking. No package manager, or one that does not answer in time:
the summary says what the linker said, and nothing about packages.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from gostatic.cgo.linkerlog import GO_OBJECT_PREFIX, LinkerLog, Undefined, read_linker_log
from gostatic.records import Record

# dpkg-query reads its database (a few MB); a loaded machine answers in well under a second.
OWNER_TIMEOUT = 5.0
_SHOWN_SYMBOLS = 3


class Owner(Record):
    """An installed file and the package that installed it."""

    package: str
    path: str


# A file-name pattern ("*/libsystemd.so*") -> the installed files matching it, () if none
# is installed, or None when no package manager can tell.
OwnerLookup = Callable[[str], "tuple[Owner, ...] | None"]


class LinkReason(Record):
    summary: str  # one line
    lines: tuple[str, ...]  # the compiler's and linker's decisive lines
    log: LinkerLog

    @property
    def detail(self) -> str:
        """The summary, then the decisive lines, one per line (an attempt's detail)."""
        return "\n".join((self.summary, *self.lines))


def no_owners(pattern: str) -> tuple[Owner, ...] | None:
    """The lookup where no package manager is asked."""
    return None


def parse_dpkg_search(text: str) -> tuple[Owner, ...]:
    """``dpkg-query -S`` output: "pkg[:arch][, pkg2...]: /path" per line; diversions left out."""
    owners = []
    for line in text.splitlines():
        if line.startswith("diversion by "):
            continue
        packages, sep, path = line.partition(": ")
        if not sep or not path.startswith("/"):
            continue
        for package in packages.split(", "):
            owners.append(Owner(package.split(":", 1)[0].strip(), path.strip()))
    return tuple(owners)


def dpkg_owners(env: Mapping[str, str]) -> OwnerLookup:
    """A lookup asking Debian's dpkg-query (found on ``env``'s PATH), time-bounded; a
    system without it gets :func:`no_owners`."""
    # Only after a failed link: every full build imports this module (gostatic.builder.climb)
    # and few need these (~5 ms with what they import).
    import shutil
    import subprocess

    query = shutil.which("dpkg-query", path=env.get("PATH", os.defpath))
    if query is None:
        return no_owners
    run_env = {**env, "LC_ALL": "C"}  # dpkg's own words, not a translation

    def lookup(pattern: str) -> tuple[Owner, ...] | None:
        try:
            done = subprocess.run(
                [query, "-S", pattern],
                capture_output=True,
                text=True,
                env=run_env,
                timeout=OWNER_TIMEOUT,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        if done.returncode not in (0, 1):  # 1: no installed file matches
            return None
        return parse_dpkg_search(done.stdout)

    return lookup


def _packages(owners: tuple[Owner, ...]) -> str:
    names = sorted({o.package for o in owners})
    return ", ".join(names[:2]) + (f" and {len(names) - 2} more" if len(names) > 2 else "")


def _header_summary(header: str, compiler: str, owners: OwnerLookup) -> str:
    said = f"the C compiler{f' ({compiler})' if compiler else ''} found no header {header}"
    found = owners(f"*/{header}")
    if found:
        return (
            f"{said}; {found[0].path} is installed (package {_packages(found)}), "
            "but not where this compiler looks"
        )
    if found == ():
        return f"{said}; no installed package has it: install the library's development package"
    return said


def _archive_name(library: str) -> str:
    """The file a static link looks for: -lz -> libz.a, -l:libz.a -> libz.a."""
    return library[1:] if library.startswith(":") else f"lib{library}.a"


def _library_summary(library: str, static: bool, owners: OwnerLookup) -> str:
    archive = _archive_name(library)
    wanted = archive if static else f"{archive[: -len('.a')]}.so or {archive}"
    said = f"no {'static archive ' if static else 'library '}{wanted} for -l{library}"
    elsewhere = owners(f"*/{archive}")
    if elsewhere:
        return (
            f"{said} where the linker looks; {elsewhere[0].path} is installed "
            f"(package {_packages(elsewhere)})"
        )
    shared = owners(f"*/{archive[: -len('.a')]}.so*") if archive.endswith(".a") else None
    if static and shared:
        name = min((os.path.basename(o.path) for o in shared), key=len)
        return f"{said}: only the shared library is installed ({name}, package {_packages(shared)})"
    if elsewhere == () and shared == ():
        return f"{said}: no installed package has {archive}"
    return said


def _wanter(wanted_by: str) -> str:
    if wanted_by.startswith(GO_OBJECT_PREFIX):
        return "the program's cgo code"
    archive, paren, _ = wanted_by.partition("(")
    return os.path.basename(archive) if paren else os.path.basename(wanted_by) or "the link"


def _undefined_summary(undefined: tuple[Undefined, ...]) -> str:
    by_wanter: dict[str, list[str]] = {}
    for u in undefined:
        by_wanter.setdefault(_wanter(u.wanted_by), []).append(u.symbol)
    wanter, symbols = next(iter(by_wanter.items()))
    symbols = list(dict.fromkeys(symbols))
    shown = ", ".join(symbols[:_SHOWN_SYMBOLS]) + (", ..." if len(symbols) > _SHOWN_SYMBOLS else "")
    count = f"{len(symbols)} symbols" if len(symbols) > 1 else "a symbol"
    said = f"{wanter} needs {count} that no library in the link defines ({shown})"
    if wanter != "the program's cgo code":
        said += ": a library it depends on is not linked"
    others = len(by_wanter) - 1
    return said + (f"; {others} more object(s) need others" if others else "")


def summarize(log: LinkerLog, owners: OwnerLookup = no_owners, compiler: str = "") -> str | None:
    """One line for the first of: a missing header (nothing was linked), a missing library,
    undefined symbols. None when the log names none of them. ``compiler``: the rung's CC,
    named with a missing header (go does not say which compiler failed to find it)."""
    if log.missing_headers:
        return _header_summary(log.missing_headers[0], compiler, owners)
    if log.missing_libraries:
        summary = _library_summary(log.missing_libraries[0], log.static, owners)
        more = len(log.missing_libraries) - 1
        return summary + (f" (and {more} more -l)" if more else "")
    if log.undefined:
        return _undefined_summary(log.undefined)
    return None


def link_failure_reason(
    stderr: str, owners: OwnerLookup = no_owners, compiler: str = ""
) -> LinkReason | None:
    """Why a rung's go build failed, if the C compiler or linker said why; None otherwise
    (a Go compile error, or a failure this module does not know)."""
    log = read_linker_log(stderr)
    summary = summarize(log, owners, compiler)
    return None if summary is None else LinkReason(summary, log.lines, log)
