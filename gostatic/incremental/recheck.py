"""Re-checking a relinked binary on the fast path, without pyelftools.

When an earlier run proved a command's binary static (gostatic.elf, with pyelftools) and go
relinks it after a source change, the fast path asks one question of the new binary: is it
still static, with no hazard signature? Importing pyelftools would take the CPU of the go
link it overlaps on a small machine (docs/performance.md gives the figures).

So this module reads only what decides the answer, with struct: the ELF header, the program
headers, the tags of the dynamic segment and the bounds of the section headers; and it
searches the read-only segments for every hazard signature (gostatic.elfscan), whatever
cgo setting the binary was built with.

It can only be stricter than gostatic.elf: it says yes only for a well-formed ELF program
that gostatic.elf reads as static with no hazard (tests/test_elf.py holds it to that on the
binaries the tests build, tests/test_elf_fuzz.py on fuzzed files). Anything else, unusual
but valid included, is a no, and the full path reads the binary with pyelftools.
"""

from __future__ import annotations

import mmap
import os
import struct

from gostatic.elfscan import ALL_CARRIERS, PF_W, PT_LOAD, merged_spans, signatures_found

_ET_EXEC, _ET_DYN = 2, 3
_PT_DYNAMIC, _PT_INTERP = 2, 3
_DT_NULL, _DT_NEEDED = 0, 1
_SHT_NOBITS = 8
_PN_XNUM = 0xFFFF  # extended program header numbering: rare, left to pyelftools

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
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < 64:
                return False
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                return _static(mm, size)
    except (OSError, ValueError, struct.error):
        return False


def _static(mm: mmap.mmap, size: int) -> bool:
    layouts = _layouts(mm)
    if layouts is None:
        return False
    header, phdr, shdr, dyn = layouts
    fields = header.unpack_from(mm, 0)
    e_type, e_phoff, e_shoff = fields[1], fields[5], fields[6]
    phentsize, phnum, shentsize, shnum, shstrndx = fields[9:14]
    if e_type not in (_ET_EXEC, _ET_DYN):
        return False
    if phnum in (0, _PN_XNUM) or phentsize != phdr.size or e_phoff + phnum * phdr.size > size:
        return False
    if not _sections_in_bounds(mm, size, shdr, e_shoff, shentsize, shnum, shstrndx):
        return False
    readonly = _readonly_if_static(mm, size, phdr, dyn, e_phoff, phnum)
    return readonly is not None and not signatures_found(mm, merged_spans(readonly), ALL_CARRIERS)


def _layouts(mm: mmap.mmap) -> tuple[struct.Struct, ...] | None:
    """The header, program header, section header and dynamic entry layouts of an ELF
    file of a class and byte order this module reads; None for anything else."""
    if mm[:4] != b"\x7fELF" or mm[4] not in _LAYOUTS or mm[5] not in (1, 2) or mm[6] != 1:
        return None
    order = "<" if mm[5] == 1 else ">"
    return tuple(struct.Struct(order + f) for f in _LAYOUTS[mm[4]])


def _readonly_if_static(
    mm: mmap.mmap, size: int, phdr: struct.Struct, dyn: struct.Struct, phoff: int, phnum: int
) -> list[tuple[int, int]] | None:
    """The spans of the read-only PT_LOAD segments; None when a program header asks for an
    interpreter or a library, or describes a segment beyond the file."""
    readonly: list[tuple[int, int]] = []
    for i in range(phnum):
        p_type, p_flags, p_offset, p_filesz = _segment(phdr, mm, phoff + i * phdr.size)
        if p_filesz and p_offset + p_filesz > size:
            return None
        if p_type == _PT_INTERP:
            return None
        if p_type == _PT_DYNAMIC and _needs_libraries(mm, dyn, p_offset, p_filesz):
            return None
        if p_type == PT_LOAD and p_filesz and not p_flags & PF_W:
            readonly.append((p_offset, p_offset + p_filesz))
    return readonly


def _segment(phdr: struct.Struct, mm: mmap.mmap, at: int) -> tuple[int, int, int, int]:
    """(p_type, p_flags, p_offset, p_filesz) of the program header at ``at``."""
    values = phdr.unpack_from(mm, at)
    if phdr.size == 32:  # ELF32 keeps p_flags near the end
        return values[0], values[6], values[1], values[4]
    return values[0], values[1], values[2], values[5]


def _sections_in_bounds(
    mm: mmap.mmap,
    size: int,
    shdr: struct.Struct,
    shoff: int,
    shentsize: int,
    shnum: int,
    shstrndx: int,
) -> bool:
    """The section header table and every section it describes lie within the file, as
    gostatic.elf requires; extended section numbering is left to pyelftools."""
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


def _needs_libraries(mm: mmap.mmap, dyn: struct.Struct, offset: int, filesz: int) -> bool:
    """Whether the dynamic segment at ``offset`` has a DT_NEEDED entry before DT_NULL."""
    for at in range(offset, offset + filesz - dyn.size + 1, dyn.size):
        tag, _ = dyn.unpack_from(mm, at)
        if tag == _DT_NULL:
            return False
        if tag == _DT_NEEDED:
            return True
    return False
