"""Re-checking a relinked binary on the fast path, without pyelftools.

When an earlier run proved a command's binary static (gostatic.elf.facts, with pyelftools) and go
relinks it after a source change, the fast path asks one question of the new binary: is it
still static, with no hazard signature? Importing pyelftools would take the CPU of the go
link it overlaps on a small machine (docs/performance.md gives the figures).

So this module reads only what decides the answer, with struct: the ELF header, the program
headers, the tags of the dynamic segment and the bounds of the section headers; and it
searches the read-only segments for every hazard signature (gostatic.elf.scan), whatever
cgo setting the binary was built with.

It can only be stricter than gostatic.elf.facts: it says yes only for a well-formed ELF program
that gostatic.elf.facts reads as static with no hazard (tests/test_elf.py holds it to that on the
binaries the tests build, tests/test_elf_fuzz.py on fuzzed files). Anything else, unusual
but valid included, is a no, and the full path reads the binary with pyelftools.
"""

from __future__ import annotations

import mmap
import struct

from gostatic.elf.kind import DF_1_PIE, DT_FLAGS_1, DT_NEEDED, DT_NULL, ET_DYN, not_loadable
from gostatic.elf.scan import (
    ALL_CARRIERS,
    PF_W,
    PT_LOAD,
    calls_dlopen_from_c,
    merged_spans,
    signatures_found,
)
from gostatic.incremental.snapshot import map_file
from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from gostatic.elf.layout import Data

_PT_DYNAMIC, _PT_INTERP = 2, 3
_SHT_NOBITS = 8

# Per ELF class: header, program header, section header and dynamic entry layouts (after
# the byte-order character), with the header fields this module reads picked out by index.
_LAYOUTS = {
    1: ("16sHHIIIIIHHHHHH", "IIIIIIII", "IIIIIIIIII", "iI"),
    2: ("16sHHIQQQIHHHHHH", "IIQQQQQQ", "IIQQQQIIQQ", "qQ"),
}


def still_static(path: str) -> bool:
    """Whether the ELF program at ``path`` is static (no interpreter, no DT_NEEDED) and
    holds no hazard signature; False for anything this module does not read with
    certainty, or that cannot be read at all."""
    try:
        data = map_file(path)
    except OSError:
        return False
    try:
        return still_static_in(data)
    finally:
        if isinstance(data, mmap.mmap):
            data.close()


def still_static_in(data: Data) -> bool:
    """:func:`still_static` of a whole file already mapped (or read): the install checks
    the very bytes it renames over the output (gostatic.incremental.snapshot)."""
    try:
        return len(data) >= 64 and _static(data, len(data))
    except (ValueError, struct.error):
        return False


def _static(mm: Data, size: int) -> bool:
    layouts = _layouts(mm)
    if layouts is None:
        return False
    header, phdr, shdr, dyn = layouts
    fields = header.unpack_from(mm, 0)
    e_type, e_entry, e_phoff, e_shoff = fields[1], fields[4], fields[5], fields[6]
    phentsize, phnum, shentsize, shnum, shstrndx = fields[9:14]
    # The program rule of gostatic.elf.kind: loadable, with an entry point.
    if not_loadable(e_type, phnum, 64 if mm[4] == 2 else 32) is not None or e_entry == 0:
        return False
    if phentsize != phdr.size or e_phoff + phnum * phdr.size > size:
        return False
    if not _sections_in_bounds(mm, size, shdr, e_shoff, shentsize, shnum, shstrndx):
        return False
    readonly = _readonly_if_static(mm, size, phdr, dyn, e_phoff, phnum, e_type == ET_DYN)
    if readonly is None or signatures_found(mm, merged_spans(readonly), ALL_CARRIERS):
        return False
    return not calls_dlopen_from_c(mm)


def _layouts(mm: Data) -> tuple[struct.Struct, ...] | None:
    """The header, program header, section header and dynamic entry layouts of an ELF
    file of a class and byte order this module reads; None for anything else."""
    if mm[:4] != b"\x7fELF" or mm[4] not in _LAYOUTS or mm[5] not in (1, 2) or mm[6] != 1:
        return None
    order = "<" if mm[5] == 1 else ">"
    return tuple(struct.Struct(order + f) for f in _LAYOUTS[mm[4]])


def _readonly_if_static(
    mm: Data,
    size: int,
    phdr: struct.Struct,
    dyn: struct.Struct,
    phoff: int,
    phnum: int,
    position_independent: bool,
) -> list[tuple[int, int]] | None:
    """The spans of the read-only PT_LOAD segments; None when a program header asks for an
    interpreter or a library, or describes a segment beyond the file, or when an ELF of
    type DYN lacks the PIE flag (a shared object, not a static-pie program)."""
    readonly: list[tuple[int, int]] = []
    pie = False
    for i in range(phnum):
        p_type, p_flags, p_offset, p_filesz = _segment(phdr, mm, phoff + i * phdr.size)
        if p_filesz and p_offset + p_filesz > size:
            return None
        if p_type == _PT_INTERP:
            return None
        if p_type == _PT_DYNAMIC:
            needs_libraries, flags_1 = _dynamic_facts(mm, dyn, p_offset, p_filesz)
            if needs_libraries:
                return None
            pie = pie or bool(flags_1 & DF_1_PIE)
        if p_type == PT_LOAD and p_filesz and not p_flags & PF_W:
            readonly.append((p_offset, p_offset + p_filesz))
    if position_independent and not pie:
        return None
    return readonly


def _segment(phdr: struct.Struct, mm: Data, at: int) -> tuple[int, int, int, int]:
    """(p_type, p_flags, p_offset, p_filesz) of the program header at ``at``."""
    values = phdr.unpack_from(mm, at)
    if phdr.size == 32:  # ELF32 keeps p_flags near the end
        return values[0], values[6], values[1], values[4]
    return values[0], values[1], values[2], values[5]


def _sections_in_bounds(
    mm: Data,
    size: int,
    shdr: struct.Struct,
    shoff: int,
    shentsize: int,
    shnum: int,
    shstrndx: int,
) -> bool:
    """The section header table and every section it describes lie within the file, as
    gostatic.elf.facts requires; extended section numbering is left to pyelftools."""
    if not shoff:
        return True
    if shentsize != shdr.size or shnum == 0 or shstrndx >= shnum:
        return False
    if shoff + shnum * shdr.size > size:
        return False
    for i in range(shnum):
        values = shdr.unpack_from(mm, shoff + i * shdr.size)
        sh_type, sh_offset, sh_size = values[1], values[4], values[5]
        if sh_type != _SHT_NOBITS and sh_offset + sh_size > size:
            return False
    return True


def _dynamic_facts(mm: Data, dyn: struct.Struct, offset: int, filesz: int) -> tuple[bool, int]:
    """Whether the dynamic segment at ``offset`` has a DT_NEEDED entry before DT_NULL, and
    its DT_FLAGS_1 value (0 without one)."""
    flags_1 = 0
    for at in range(offset, offset + filesz - dyn.size + 1, dyn.size):
        tag, value = dyn.unpack_from(mm, at)
        if tag == DT_NULL:
            break
        if tag == DT_NEEDED:
            return True, flags_1
        if tag == DT_FLAGS_1:
            flags_1 = value
    return False, flags_1
