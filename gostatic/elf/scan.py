"""What gostatic looks for in an ELF's bytes beyond its headers: the hazard signatures,
searched in the read-only PT_LOAD segments.

Shared by gostatic.elf.hazards (the full reading, after pyelftools) and
gostatic.incremental.recheck, which re-checks a relinked binary without pyelftools; kept
free of both so that either can use it. Calls to dlopen from C code, which leave no
constant behind, are found by gostatic.elf.cdlopen.dlopen_callers instead.
"""

from __future__ import annotations

from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from collections.abc import Collection
    from typing import Protocol

    from gostatic.elf.layout import Data

    class Buffer(Protocol):
        def rfind(self, sub: bytes, start: int, end: int, /) -> int: ...
        def __getitem__(self, index: slice, /) -> bytes: ...


# Measured with Go 1.26 / gcc 12 / glibc 2.36 (Debian 12) on programs built for the purpose:
#
# * NSS. glibc's NSS module loader formats "libnss_%s.so" before dlopen()ing a module; the
#   string is in every static binary that links getaddrinfo/getpwnam/getgrouplist & co (C or
#   cgo, stripped with -s -w or not) and in none of: a pure-Go net+os/user program, a static
#   cgo program built with -tags netgo,osusergo, a static C hello world. "/etc/nsswitch.conf"
#   is no evidence: pure Go mentions it too. glibc 2.36 has files and dns built in; anything
#   else nsswitch.conf names is dlopen()ed: user.Lookup("nosuchuser") from such a binary
#   died with SIGSEGV on a stock Debian 12 host ("passwd: files systemd" loads the dynamic
#   libnss_systemd.so.2, which drags libc.so.6 into the static process).
#
# * dlopen. Static glibc (2.34+) always carries the whole dlopen machinery, whether or not the
#   program calls dlopen: "invalid mode for dlopen()", "cannot open shared object file",
#   "(%s from file %s)", "gconv-modules" and the symbols dlopen/_dl_open/__libc_dlopen_mode are
#   in a static C hello world as much as in a program that calls dlopen (the two binaries
#   have identical glibc symbol sets). No byte signature tells them apart: C callers are
#   found from the symbol table by gostatic.elf.cdlopen. What does distinguish: Go code that
#   calls C.dlopen leaves the cgo stub name "<pkg>._Cfunc_dlopen" in the Go function name
#   table, which -s -w does not strip. musl links its dlopen only where it is called, and
#   in a static program that dlopen is a stub that fails with "Dynamic loading not
#   supported" (musl's src/ldso/dlopen.c); the message is the signature.
#
# * purego (github.com/ebitengine/purego) calls dlopen without cgo's C.dlopen, through its
#   own trampolines; its Dlopen function's name is in the name table whenever it is called
#   (measured: purego v0.11.3, Go 1.26, external static link; glibc's linker warns "Using
#   'dlopen' in statically linked applications").
#
# * Go's plugin package. With cgo it calls dlopen through "plugin._Cfunc_pluginOpen" (same
#   name table); a static host opening a real plugin (-buildmode=plugin) died with "fatal
#   error: runtime: no plugin module data" on the build host itself. With CGO_ENABLED=0 the
#   package is a stub whose Open returns "plugin: not implemented". Both names are present
#   only when plugin.Open is reachable.
#
# * cgo stubs. mattn/go-sqlite3 built with CGO_ENABLED=0 links a stub whose every call fails
#   with "Binary was compiled with 'CGO_ENABLED=0', go-sqlite3 requires cgo to work...".
#
# Go function names in the name table are NUL-terminated, hence the trailing NUL on those
# signatures (so "_Cfunc_dlopen" does not also match "_Cfunc_dlopen_helper"). Go string
# literals are not NUL-terminated, so those signatures end without one.
#
# Each signature names the binaries that can carry it, told apart by the Go build info, so
# that a 100 MB binary is scanned only for what it can hold: "c" (C library code: a non-Go
# binary or Go with cgo on), "go-cgo" (Go with cgo on), "go-nocgo" (Go with cgo off).

_GO = frozenset({"go-cgo", "go-nocgo"})


class Signature(Record):
    needle: bytes
    carriers: frozenset[str]  # of "c", "go-cgo", "go-nocgo"
    kind: str  # the hazard's name, as reported
    detail: str


SIGNATURES: tuple[Signature, ...] = (
    Signature(
        b"libnss_%s.so",
        frozenset({"c"}),
        "nss",
        "links glibc's NSS loader: user, group and host lookups dlopen() the libnss_*.so"
        " modules /etc/nsswitch.conf names besides files and dns, which are missing in an"
        " empty root and can crash the program where they exist",
    ),
    Signature(
        b"_Cfunc_dlopen\x00",
        frozenset({"go-cgo"}),
        "dlopen",
        "Go code calls C.dlopen: the libraries it loads are absent in an empty root and,"
        " in a static glibc program, must match the exact glibc it was linked with",
    ),
    Signature(
        b"plugin._Cfunc_pluginOpen\x00",
        frozenset({"go-cgo"}),
        "plugin",
        "uses Go's plugin package: plugin.Open in a statically linked binary stops the"
        ' program with "fatal error: runtime: no plugin module data"',
    ),
    Signature(
        b"plugin: not implemented",
        frozenset({"go-nocgo"}),
        "plugin",
        "uses Go's plugin package built without cgo, a stub whose plugin.Open always fails",
    ),
    Signature(
        b"Binary was compiled with 'CGO_ENABLED=0'",
        frozenset({"go-nocgo"}),
        "cgo-stub",
        "contains go-sqlite3's CGO_ENABLED=0 stub: every database call fails at run time",
    ),
    Signature(
        b"github.com/ebitengine/purego.Dlopen\x00",
        _GO,
        "dlopen",
        "calls purego.Dlopen (github.com/ebitengine/purego), which loads shared libraries"
        " at run time without cgo: they are absent in an empty root",
    ),
    Signature(
        b"Dynamic loading not supported\x00",
        frozenset({"c"}),
        "dlopen",
        "C code calls dlopen, linked from static musl, where it always fails with"
        ' "Dynamic loading not supported"',
    ),
)
ALL_CARRIERS = frozenset({"c", "go-cgo", "go-nocgo"})

PT_LOAD = 1
PF_W = 0x2


def merged_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """File ranges (start, end) sorted and merged, so a needle can span a seam."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def signatures_found(
    data: Buffer, ranges: list[tuple[int, int]], carriers: Collection[str]
) -> list[Signature]:
    """The signatures that ``carriers`` can hold and ``data`` holds within ``ranges``."""
    return [
        sig
        for sig in SIGNATURES
        if not sig.carriers.isdisjoint(carriers)
        and any(_holds(data, sig.needle, start, end) for start, end in ranges)
    ]


def _holds(data: Buffer, needle: bytes, start: int, end: int) -> bool:
    """Whether ``needle`` lies wholly within ``data[start:end]``.

    Measured over 64 MB of Go binaries' read-only segments (CPython 3.11), this takes a
    third less time than ``data.find(needle, start, end)``, for the same answer:

    * CPython's reverse search is a simple skip loop that, on binary data, skips further
      than the two-way algorithm its forward search uses on long haystacks.
    * NUL is the commonest byte of a binary, and a needle holding it skips least: the
      needles that end in NUL are searched without it, and the NUL checked at each hit.
    """
    key = needle.rstrip(b"\x00") or needle
    tail = needle[len(key) :]
    # A hit of the key at ``at`` is a whole needle only if at + len(needle) <= end.
    stop = end - len(tail)
    if stop - start < len(key):
        return False  # and rfind must not see a negative end, which counts from the back
    at = data.rfind(key, start, stop)
    while at >= 0:
        if data[at + len(key) : at + len(needle)] == tail:
            return True
        at = data.rfind(key, start, at + len(key) - 1)  # the hits that start before ``at``
    return False


def calls_dlopen_from_c(data: Data) -> bool:
    """Whether C code in the static binary ``data`` (a whole file) calls dlopen, as
    gostatic.elf.cdlopen finds it through the symbol table: for the fast path's re-check,
    which must say no wherever the full reading reports a hazard."""
    from gostatic.elf.cdlopen import dlopen_callers  # only where a relinked binary is re-checked
    from gostatic.elf.layout import read_layout

    layout = read_layout(data)
    return layout is None or bool(dlopen_callers(data, layout))
