"""Hazards: what a static binary holds that breaks it in an empty root, read from its bytes.

Two readers: the byte signatures of gostatic.elf.scan, searched in the read-only segments
(only those the binary can carry, as its Go build info tells), and the calls to dlopen
that gostatic.elf.cdlopen finds through the symbol table.
"""

from __future__ import annotations

from gostatic.elf.cdlopen import DlopenUse, dlopen_callers
from gostatic.elf.hazard import Hazard
from gostatic.elf.scan import ALL_CARRIERS, merged_spans, signatures_found
from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from gostatic.elf.buildinfo import GoBuildInfo
    from gostatic.elf.layout import Data, ElfLayout

_DLOPEN_RISK = (
    ": the libraries it loads are absent in an empty root and, in a static glibc program,"
    " must match the exact glibc it was linked with"
)


def carriers(go: GoBuildInfo | None) -> frozenset[str]:
    """Which kinds of code the binary holds (see gostatic.elf.scan's signatures)."""
    if go is None:
        return frozenset({"c"})
    cgo = go.setting("CGO_ENABLED")
    if cgo == "1":
        return frozenset({"c", "go-cgo"})
    if cgo == "0":
        return frozenset({"go-nocgo"})
    # Build info without the setting (hand-made, or a go command yet to come): assume nothing.
    return ALL_CARRIERS


def find_hazards(data: Data, layout: ElfLayout, go: GoBuildInfo | None) -> tuple[Hazard, ...]:
    """The hazards of the static binary in ``data``, signatures first, each found once."""
    # Every signature is a constant (a C string literal, a Go string or function name), and
    # constants live in read-only segments; debug info, the symbol table, writable data and
    # anything appended after the segments are skipped, which keeps a 100 MB binary quick.
    ranges = merged_spans(layout.loaded_spans(len(data), readonly=True))
    signatures = signatures_found(data, ranges, carriers(go))
    found = [Hazard(sig.kind, sig.detail) for sig in signatures]
    holds_c = go is None or go.setting("CGO_ENABLED") != "0"
    for use in dlopen_callers(data, layout) if holds_c else ():
        if not _told(use, {sig.needle for sig in signatures}):
            found.append(Hazard("dlopen", use.describe() + _DLOPEN_RISK))
    return tuple(dict.fromkeys(found))


def _told(use: DlopenUse, needles: set[bytes]) -> bool:
    """Whether a signature already reports this use of dlopen, with a better reason: Go's
    C.dlopen (its cgo wrapper), and the plugin package's own C code."""
    if use.package == "plugin":
        return b"plugin._Cfunc_pluginOpen\x00" in needles
    return bool(use.package) and use.c_function == "dlopen" and b"_Cfunc_dlopen\x00" in needles
