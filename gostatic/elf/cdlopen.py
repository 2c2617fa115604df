"""C code that calls dlopen, found in a static binary that still has its symbol table.

Static glibc (2.34+) links its whole dlopen machinery into every program, whether or not
anything calls dlopen, so neither the symbol nor glibc's strings tell; but glibc itself
never refers to the public ``dlopen`` (its own loaders call ``__libc_dlopen_mode`` and
``__dlopen``; measured with glibc 2.36: no call to it in a static C hello world, nor in a
static cgo program without dlopen). So a call to ``dlopen``'s address (x86 ``call`` or
``jmp`` rel32), or the address kept as a function pointer (in data, or as the addend of a
static PIE's relocation), is the program's own use. Go's code is skipped: it reaches C only
through cgo's trampolines. A binary without a symbol table (``-s``) cannot be told this way;
for those the signatures in gostatic.elf.scan (musl's dlopen stub, purego, C.dlopen) remain.
"""

from __future__ import annotations

import struct

from gostatic.elf.layout import PF_X, PT_LOAD
from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from gostatic.elf.layout import Data, ElfLayout, Section

_EM_386, _EM_X86_64 = 3, 62
_STT_FILE = 4
_SHT_RELA = 4
_WINDOW = 1 << 16  # rel32's upper half is one of two values across this many call sites


class _Symbols:
    """Name and address lookups in a .symtab, without reading it into Python objects."""

    def __init__(self, data: Data, layout: ElfLayout, symtab: Section, strtab: Section) -> None:
        self.data = data
        self.symtab = symtab
        self.strtab = strtab
        order = "<" if layout.little_endian else ">"
        # (name, value, size, info) in each class's field order.
        self.entry = struct.Struct(order + ("IIIBBH" if layout.elf_class == 32 else "IBBHQQ"))
        self.wide = layout.elf_class == 64

    def _fields(self, values: tuple[int, ...]) -> tuple[int, int, int, int]:
        if self.wide:
            return values[0], values[4], values[5], values[1]
        return values[0], values[1], values[2], values[3]

    def addresses(self, name: str) -> set[int]:
        """The values of the defined symbols called exactly ``name``."""
        found: set[int] = set()
        body = name.encode() + b"\x00"
        start, end = self.strtab.offset, self.strtab.offset + self.strtab.size
        at = self.data.find(body, start, end)
        while at >= 0:
            # The linker may share a name's bytes with the tail of a longer one, so every
            # occurrence is a candidate, matched on a symbol's st_name.
            found |= self._with_name(at - start)
            at = self.data.find(body, at + 1, end)
        return found

    def _with_name(self, offset: int) -> set[int]:
        needle = struct.pack(self.entry.format[0] + "I", offset)
        start, size = self.symtab.offset, self.entry.size
        end = start + self.symtab.size
        values = set()
        at = self.data.find(needle, start, end)
        while at >= 0:
            if (at - start) % size == 0 and at + size <= end:
                _, value, _, _ = self._fields(self.entry.unpack_from(self.data, at))
                if value:
                    values.add(value)
            at = self.data.find(needle, at + 1, end)
        return values

    def name_at(self, offset: int) -> str:
        start = self.strtab.offset + offset
        end = self.data.find(b"\x00", start, self.strtab.offset + self.strtab.size)
        return self.data[start:end].decode("utf-8", "replace") if end >= 0 else "?"

    def holder(self, address: int) -> tuple[str, str]:
        """(symbol, source file) of the symbol whose extent holds ``address``; the file is
        known for local symbols only ("" otherwise)."""
        file_name = ""
        end = self.symtab.offset + self.symtab.size
        for at in range(self.symtab.offset, end - self.entry.size + 1, self.entry.size):
            name, value, size, info = self._fields(self.entry.unpack_from(self.data, at))
            if info & 0xF == _STT_FILE:
                file_name = self.name_at(name)
            elif value <= address < value + size:
                return self.name_at(name), file_name if info >> 4 == 0 else ""
        return "", ""


class DlopenUse(Record):
    """One place that uses dlopen: its symbol, and for cgo's C wrapper ``_cgo_<hash>_Cfunc_f``
    the Go package and the C function ``f`` (the package "" where no Go code calls it)."""

    symbol: str
    file: str  # the source file of a local symbol, when the symbol table says
    package: str | None
    c_function: str | None
    calls: bool  # a call or jump; else the address is kept as a function pointer

    def describe(self) -> str:
        if self.c_function is not None:
            where = f"Go package {self.package}" if self.package else "a Go package"
            who = f"C code of {where} (C.{self.c_function})"
        elif self.symbol:
            who = self.symbol + (f" ({self.file})" if self.file else "")
        else:
            who = "unnamed code"
        return who + (" calls dlopen" if self.calls else " keeps the address of dlopen")


def dlopen_callers(data: Data, layout: ElfLayout) -> tuple[DlopenUse, ...]:
    """What uses dlopen in the static binary in ``data``; () when nothing does or there is no
    symbol table to tell by."""
    symtab = next((s for s in layout.sections if s.name == ".symtab"), None)
    if symtab is None or not 0 < symtab.link < len(layout.sections):
        return ()
    symbols = _Symbols(data, layout, symtab, layout.sections[symtab.link])
    targets = symbols.addresses("dlopen")
    if not targets:
        return ()
    calls = {_use(symbols, site, True) for site in _call_sites(data, layout, symbols, targets)}
    kept = {_use(symbols, site, False) for site in _pointers(data, layout, targets)}
    return tuple(sorted(calls | kept))


def _call_sites(data: Data, layout: ElfLayout, symbols: _Symbols, targets: set[int]) -> set[int]:
    if layout.e_machine not in (_EM_386, _EM_X86_64):
        return set()
    text, etext = symbols.addresses("runtime.text"), symbols.addresses("runtime.etext")
    go_text = [(min(text), max(etext))] if text and etext else []
    mask = (1 << layout.elf_class) - 1
    sites: set[int] = set()
    for seg in layout.segments:
        if seg.p_type != PT_LOAD or not seg.flags & PF_X:
            continue
        delta = seg.offset - seg.vaddr
        for lo, hi in _outside(seg.vaddr, seg.vaddr + seg.filesz, go_text):
            for target in targets:
                sites |= _x86_calls(data, delta, (lo, hi), target, mask)
    return sites


def _outside(lo: int, hi: int, holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """[lo, hi) less the ranges in ``holes``."""
    spans = [(lo, hi)]
    for h_lo, h_hi in holes:
        spans = [
            part
            for s_lo, s_hi in spans
            for part in ((s_lo, min(s_hi, h_lo)), (max(s_lo, h_hi), s_hi))
            if part[0] < part[1]
        ]
    return spans


def _x86_calls(data: Data, delta: int, span: tuple[int, int], target: int, mask: int) -> set[int]:
    """Addresses in ``span`` of ``call``/``jmp rel32`` instructions to ``target`` (``delta``
    turns an address into a file offset, ``mask`` wraps an address as the CPU does).

    A site s holds E8 or E9 and then rel32 = target - (s + 5). Within a window of 64 KiB of
    sites, rel32's upper 16 bits take at most two values, so each window is searched with
    ``find`` for those two bytes at s + 3, and only the hits are decoded.
    """
    lo, hi = span
    found = set()
    for w_lo in range(lo, hi, _WINDOW):
        w_hi = min(w_lo + _WINDOW, hi)
        uppers = {((target - s - 5) >> 16) & 0xFFFF for s in (w_lo, w_hi - 1)}
        for upper in uppers:
            needle = struct.pack("<H", upper)
            end = delta + w_hi + 4  # the two bytes of the last site's rel32 end there
            at = data.find(needle, delta + w_lo + 3, end)
            while at >= 0:
                site = at - 3 - delta
                if data[at - 3] in (0xE8, 0xE9) and site + 5 <= hi:
                    (rel,) = struct.unpack_from("<i", data, at - 2)
                    if (site + 5 + rel) & mask == target:
                        found.add(site)
                at = data.find(needle, at + 1, end)
    return found


def _pointers(data: Data, layout: ElfLayout, targets: set[int]) -> set[int]:
    """Addresses of the words in the loaded, non-executable segments that hold a target; in
    a static PIE, the address a relocation writes a target to."""
    found = set()
    for seg in layout.segments:
        if seg.p_type != PT_LOAD or seg.flags & PF_X or not seg.filesz:
            continue
        for target in targets:
            needle = struct.pack(layout.ptr, target)
            at = data.find(needle, seg.offset, seg.offset + seg.filesz)
            while at >= 0:
                found.add(_relocated(data, layout, at) or seg.vaddr + at - seg.offset)
                at = data.find(needle, at + 1, seg.offset + seg.filesz)
    return found


def _relocated(data: Data, layout: ElfLayout, offset: int) -> int | None:
    """r_offset of the RELA entry whose addend is at file ``offset``, if one is."""
    for sec in layout.sections:
        if (
            sec.sh_type == _SHT_RELA
            and sec.entsize
            and sec.offset <= offset < sec.offset + sec.size
        ):
            addend_at = 2 * struct.calcsize(layout.ptr)
            if (offset - sec.offset) % sec.entsize == addend_at:
                (r_offset,) = struct.unpack_from(layout.ptr, data, offset - addend_at)
                return int(r_offset)
    return None


def _use(symbols: _Symbols, site: int, calls: bool) -> DlopenUse:
    name, file_name = symbols.holder(site)
    # Go's linker names the file of all its local symbols "go.go": no help.
    file_name = "" if file_name == "go.go" else file_name
    marker = name.find("_Cfunc_")
    if name.startswith("_cgo_") and marker > 0:
        # cgo's C wrapper _cgo_<hash>_Cfunc_f has a Go twin, <package>._cgo_<hash>_Cfunc_f,
        # unless no Go code calls it.
        package = _package_of(symbols, "." + name)
        return DlopenUse(name, file_name, package, name[marker + 7 :], calls)
    return DlopenUse(name, file_name, None, None, calls)


def _package_of(symbols: _Symbols, suffix: str) -> str:
    start, end = symbols.strtab.offset, symbols.strtab.offset + symbols.strtab.size
    at = symbols.data.find(suffix.encode() + b"\x00", start, end)
    if at < 0:
        return ""
    begin = symbols.data.rfind(b"\x00", start, at) + 1
    return symbols.data[begin:at].decode("utf-8", "replace")
