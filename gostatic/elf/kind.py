"""Which ELF files are programs the kernel will start: the rule gostatic.elf.facts applies, in a
form the fast path's re-check can share (plain integers, no pyelftools).

Static or dynamic is a question about programs only. A relocatable object, a core dump or a
shared library has no interpreter and often no DT_NEEDED either, and calling it "static"
would be a false proof about something that does not run.
"""

from __future__ import annotations

ET_REL, ET_EXEC, ET_DYN, ET_CORE = 1, 2, 3, 4
PN_XNUM = 0xFFFF
DT_NULL, DT_NEEDED, DT_STRTAB, DT_SONAME = 0, 1, 5, 14
DT_FLAGS_1 = 0x6FFFFFFB
DF_1_PIE = 0x08000000
# Linux's load_elf_binary refuses a program header table larger than this many bytes (and
# so e_phnum 0xffff, PN_XNUM, which it does not resolve).
_MAX_PHDR_BYTES = 65536

_TYPE_NAMES = {ET_REL: "relocatable object file", ET_CORE: "core dump"}


def not_loadable(e_type: int, e_phnum: int, elf_class: int) -> str | None:
    """Why the kernel would refuse this ELF header outright, or None. Checked before the
    program headers are read: with e_phnum 0xffff their count would come from section 0."""
    if e_type not in (ET_EXEC, ET_DYN):
        name = _TYPE_NAMES.get(e_type, f"type {e_type:#x}")
        return f"not an executable (ELF {name})"
    if e_phnum == 0:
        return "not runnable: no program headers (e_phnum 0x0)"
    phentsize = 32 if elf_class == 32 else 56
    if e_phnum == PN_XNUM or e_phnum * phentsize > _MAX_PHDR_BYTES:
        return f"not runnable: e_phnum {e_phnum:#x}, more program headers than Linux loads"
    return None


def not_a_program(
    e_type: int, e_entry: int, has_interp: bool, flags_1: int, soname: str | None = None
) -> str | None:
    """Why a loadable ELF is still no program, or None when the kernel would run it.

    An ET_DYN file is a program (a PIE) when the linker marked it DF_1_PIE (GNU ld and lld
    since 2018, Go's own linker) or when it asks for an interpreter; without either it is
    a shared library, whatever its entry point, and it cannot be proved to run.
    """
    if e_type == ET_DYN and not has_interp and not flags_1 & DF_1_PIE:
        named = f" {soname}" if soname else ""
        return f"not an executable (shared object{named}: ELF type DYN without the PIE flag)"
    if e_entry == 0:
        return "not runnable: no entry point (e_entry 0)"
    return None
