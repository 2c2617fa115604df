"""Facts about one ELF program: static or not, what it needs at run time, how Go built it.

gostatic.elf.read reads the headers (with pyelftools) and maps the file; this module decides
what the file is, and the scanners read the rest from the mapping: Go's build info
(gostatic.elf.buildinfo), hazards (gostatic.elf.hazards) and the files the program will look for
(gostatic.elf.needs). Anything that is not a program the kernel would start, or that cannot be
read, is an :class:`~gostatic.errors.ElfError` with a one-line message that starts with the
path.
"""

from __future__ import annotations

from typing import Literal

from gostatic.elf.buildinfo import GoBuildInfo, read_build_info
from gostatic.elf.hazards import find_hazards
from gostatic.elf.kind import ET_DYN, not_a_program
from gostatic.elf.needs import needs_in
from gostatic.elf.read import ElfHeaders, read_elf
from gostatic.errors import ElfError
from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    import mmap
    import os

    from gostatic.elf.hazard import Hazard

__all__ = ["ElfFacts", "Kind", "inspect_elf"]

Kind = Literal["static", "static-pie", "dynamic"]


class ElfFacts(Record):
    path: str
    kind: Kind
    interpreter: str | None
    needed: tuple[str, ...]
    machine: str
    elf_class: int
    elf_type: str
    hazards: tuple[Hazard, ...]
    go: GoBuildInfo | None
    needs: tuple[str, ...] = ()  # sorted names from gostatic.elf.needs

    @property
    def is_static(self) -> bool:
        return self.kind in ("static", "static-pie")

    def run_time_needs(self) -> str:
        """What the loader would have to provide, in words: "" when nothing."""
        parts = []
        if self.interpreter:
            parts.append(f"interpreter {self.interpreter}")
        if self.needed:
            parts.append("needs " + ", ".join(self.needed))
        return "; ".join(parts)


def inspect_elf(path: str | os.PathLike[str], shown_as: str | None = None) -> ElfFacts:
    """Read the ELF program at ``path``; raise :class:`ElfError` (one line, path first, or
    ``shown_as`` first when given) on any failure, and for a file that is not a program (an
    object file, a shared library ...)."""
    return read_elf(path, _facts, shown_as)


def _facts(headers: ElfHeaders, mm: mmap.mmap) -> ElfFacts:
    has_interp = headers.interpreter is not None
    refusal = not_a_program(
        headers.e_type, headers.entry, has_interp, headers.flags_1, headers.soname
    )
    if refusal is not None:
        raise ElfError(f"{headers.shown}: {refusal}")
    kind: Kind
    if has_interp or headers.needed:
        kind = "dynamic"
    elif headers.e_type == ET_DYN:
        kind = "static-pie"
    else:
        kind = "static"
    layout = headers.layout
    go = read_build_info(mm, layout)
    # A dynamic binary's problem is already "dynamic"; hazards are what a static one hides.
    hazards = find_hazards(mm, layout, go) if kind != "dynamic" else ()
    return ElfFacts(
        path=headers.path,
        kind=kind,
        interpreter=headers.interpreter,
        needed=headers.needed,
        machine=headers.machine,
        elf_class=headers.elf_class,
        elf_type=headers.elf_type,
        hazards=hazards,
        go=go,
        needs=needs_in(mm, layout),
    )
