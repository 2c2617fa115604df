"""Where things are in an ELF file: its program and section headers, read with struct.

The scanners (hazards, needs, dlopen callers) look things up through this layout, on the
full reading (gostatic.elf.read, after pyelftools has checked the file) and without
pyelftools (the fast path's re-check and `needs.binary_needs`), so both see the same.
Anything this module does not read with certainty gives None: the caller then has no
layout to scan, and says so or falls back to the full reading.
"""

from __future__ import annotations

import struct

from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from mmap import mmap

    Data = bytes | mmap  # a whole file: bytes in tests, a read-only mmap otherwise

PT_LOAD = 1
PF_X, PF_W = 0x1, 0x2
SHT_NOBITS = 8
_SHN_XINDEX = 0xFFFF

# Per ELF class: ELF header, program header and section header layouts (after the
# byte-order character).
_LAYOUTS = {
    1: ("16sHHIIIIIHHHHHH", "IIIIIIII", "IIIIIIIIII"),
    2: ("16sHHIQQQIHHHHHH", "IIQQQQQQ", "IIQQQQIIQQ"),
}


class Segment(Record):
    p_type: int
    flags: int
    offset: int
    filesz: int
    vaddr: int


class Section(Record):
    name: str
    sh_type: int
    addr: int
    offset: int
    size: int
    link: int
    entsize: int


class ElfLayout(Record):
    little_endian: bool
    elf_class: int  # 32 or 64
    e_machine: int
    segments: tuple[Segment, ...]
    sections: tuple[Section, ...]

    def section(self, name: str) -> Section | None:
        """The first section called ``name`` that has bytes in the file."""
        return next((s for s in self.sections if s.name == name and s.sh_type != SHT_NOBITS), None)

    def loaded_spans(self, size: int, readonly: bool) -> list[tuple[int, int]]:
        """File ranges (start, end) of the PT_LOAD segments, only the read-only ones if
        ``readonly``, cut at ``size``."""
        return [
            (seg.offset, min(seg.offset + seg.filesz, size))
            for seg in self.segments
            if seg.p_type == PT_LOAD and seg.filesz and not (readonly and seg.flags & PF_W)
        ]

    @property
    def ptr(self) -> str:
        """The struct code of an address-sized unsigned integer, with the byte order."""
        return ("<" if self.little_endian else ">") + ("I" if self.elf_class == 32 else "Q")


def read_layout(data: Data) -> ElfLayout | None:
    """The layout of the ELF in ``data`` (bytes or an mmap), or None where its header or
    program headers are unreadable."""
    try:
        return _read(data)
    except (struct.error, IndexError, UnicodeDecodeError, ValueError):
        return None


def _read(data: Data) -> ElfLayout | None:
    size = len(data)
    if size < 52 or data[:4] != b"\x7fELF" or data[4] not in _LAYOUTS or data[5] not in (1, 2):
        return None
    order = "<" if data[5] == 1 else ">"
    header, phdr, shdr = (struct.Struct(order + f) for f in _LAYOUTS[data[4]])
    fields = header.unpack_from(data, 0)
    e_machine, e_phoff, e_shoff = fields[2], fields[5], fields[6]
    phentsize, phnum, shentsize, shnum, shstrndx = fields[9:14]
    segments = []
    if phnum:
        if phentsize != phdr.size or e_phoff + phnum * phdr.size > size:
            return None
        segments = [_segment(phdr, data, e_phoff + i * phdr.size) for i in range(phnum)]
    sections = _sections(data, shdr, e_shoff, shentsize, shnum, shstrndx) if e_shoff else ()
    return ElfLayout(data[5] == 1, 32 if data[4] == 1 else 64, e_machine, tuple(segments), sections)


def _segment(phdr: struct.Struct, data: Data, at: int) -> Segment:
    values = phdr.unpack_from(data, at)
    if phdr.size == 32:  # ELF32 keeps p_flags near the end
        return Segment(values[0], values[6], values[1], values[4], values[2])
    return Segment(values[0], values[1], values[2], values[5], values[3])


def _sections(
    data: Data, shdr: struct.Struct, shoff: int, shentsize: int, shnum: int, shstrndx: int
) -> tuple[Section, ...]:
    """The section headers; () where the table is unusable. A name that cannot be read is
    "", so the section is not found by name: the scanners then see less, never garbage."""
    size = len(data)
    if shentsize != shdr.size or shoff + shdr.size > size:
        return ()
    first = shdr.unpack_from(data, shoff)
    # Extended numbering: the real count and string table index sit in section 0.
    shnum = shnum or first[5]
    shstrndx = first[6] if shstrndx == _SHN_XINDEX else shstrndx
    if shoff + shnum * shdr.size > size:
        return ()
    raw = [shdr.unpack_from(data, shoff + i * shdr.size) for i in range(shnum)]
    names_at = raw[shstrndx][4] if shstrndx < shnum else size
    return tuple(
        Section(_name(data, names_at + v[0]), v[1], v[3], v[4], v[5], v[6], v[9]) for v in raw
    )


def _name(data: Data, start: int) -> str:
    end = data.find(b"\x00", start) if start < len(data) else -1
    return data[start:end].decode("utf-8", "replace") if end >= 0 else ""
