"""The names of the Go functions linked into a binary, from its pclntab.

Go keeps every linked function's name, inlined ones included, in the pclntab's function
name table (the runtime needs them for tracebacks), so they are there in a binary built
with ``-ldflags=-s -w`` too; the linker's dead code elimination leaves out what is never
called. The table is a run of NUL-terminated names, searched in place (``find`` over the
mapped file), never read into Python objects.
"""

from __future__ import annotations

import struct

from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from gostatic.elf.layout import Data, ElfLayout

# pcHeader magics: Go 1.20+, 1.18-1.19 (the same layout), 1.16-1.17 (no textStart field).
# Earlier pclntabs keep names elsewhere and are not read.
_MAGICS = {0xFFFFFFF1: 1, 0xFFFFFFF0: 1, 0xFFFFFFFA: 0}


class FuncNames(Record):
    """The file range (start, end) of a pclntab's function name table."""

    start: int
    end: int

    def links(self, data: Data, name: str) -> bool:
        """Whether a function called exactly ``name`` is linked."""
        return self._has(data, name.encode() + b"\x00")

    def _has(self, data: Data, body: bytes) -> bool:
        # Each name follows the previous one's NUL, except the first. Searched backwards:
        # CPython's forward search skips by the needle's last byte, and NUL, which ends
        # every name, is the table's commonest (measured: 7 to 20 times slower).
        if data[self.start : self.start + len(body)] == body:
            return True
        return data.rfind(b"\x00" + body, self.start, self.end) >= 0


def func_names(data: Data, layout: ElfLayout) -> FuncNames | None:
    """Where the function names of the Go binary in ``data`` are; None for other files."""
    section = layout.section(".gopclntab")
    if section is not None:
        return _names_at(data, layout, section.offset, section.offset + section.size)
    # Without section headers, the pclntab is found by its header in the read-only segments.
    order = "<" if layout.little_endian else ">"
    for start, end in layout.loaded_spans(len(data), readonly=True):
        for magic in _MAGICS:
            needle = struct.pack(order + "I", magic) + b"\x00\x00"
            at = data.find(needle, start, end)
            while at >= 0:
                found = _names_at(data, layout, at, end)
                if found is not None:
                    return found
                at = data.find(needle, at + 1, end)
    return None


def _names_at(data: Data, layout: ElfLayout, start: int, end: int) -> FuncNames | None:
    """The name table of the pclntab whose header is at ``start`` (the table ends by
    ``end``), or None where the header does not hold together."""
    ptr_size = 4 if layout.elf_class == 32 else 8
    if end - start < 8 + 8 * ptr_size:
        return None
    (magic,) = struct.unpack_from(layout.ptr[0] + "I", data, start)
    has_text_start = _MAGICS.get(magic)
    if has_text_start is None or data[start + 4 : start + 6] != b"\x00\x00":
        return None
    if data[start + 6] not in (1, 2, 4) or data[start + 7] != ptr_size:
        return None
    fields = struct.unpack_from(layout.ptr[0] + layout.ptr[1] * 8, data, start + 8)
    names_off, cu_off = fields[2 + has_text_start], fields[3 + has_text_start]
    if not 8 + 8 * ptr_size <= names_off < cu_off <= end - start:
        return None
    return FuncNames(start + names_off, start + cu_off)
