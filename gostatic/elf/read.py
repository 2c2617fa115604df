"""Reading an ELF file's headers with pyelftools: the only module that imports ``elftools``.

Every way a file can fail to be a readable ELF (missing, truncated, corrupt, a pyelftools
exception) becomes one :class:`ElfError` with a one-line message that starts with the path.
The facts come back as an immutable :class:`ElfHeaders`, with the file's read-only ``mmap``
for the byte scans that follow, so a 100 MB binary is never read into memory whole.
"""

from __future__ import annotations

import errno
import mmap
import os
import stat
import struct
from typing import Any, TypeVar

from elftools.elf.elffile import ELFFile  # type: ignore[import-untyped, unused-ignore]

from gostatic.elf.kind import DT_FLAGS_1, DT_NEEDED, DT_NULL, DT_SONAME, DT_STRTAB, not_loadable
from gostatic.elf.layout import ElfLayout, read_layout
from gostatic.errors import ElfError
from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    import io
    from collections.abc import Callable

T = TypeVar("T")

# pyelftools ships annotations from 0.33 on and none before; the project accepts >= 0.31, so
# its objects cross into this module as Any and mypy --strict passes against either.
_Elf = Any
_open_elf: Any = ELFFile

_ELF_MAGIC = b"\x7fELF"


class ElfHeaders(Record):
    """What the headers say; ``shown`` is the path as messages print it."""

    path: str
    shown: str
    e_type: int
    elf_type: str  # "EXEC" or "DYN" (the only types that get this far)
    machine: str  # in GOARCH's spelling where the ELF name depends on class or byte order
    elf_class: int
    entry: int
    interpreter: str | None
    needed: tuple[str, ...]
    flags_1: int  # DT_FLAGS_1, 0 when absent
    soname: str | None
    layout: ElfLayout


def read_elf(
    path: str | os.PathLike[str],
    use: Callable[[ElfHeaders, mmap.mmap], T],
    shown_as: str | None = None,
) -> T:
    """Read the headers of the ELF at ``path`` and return ``use(headers, mm)``, called while
    the file is mapped; any failure, in ``use`` too, is an :class:`ElfError`, naming the
    file ``shown_as`` when given (a copy named after what it is a copy of)."""
    raw = os.fspath(path)
    name = raw if isinstance(raw, str) else os.fsdecode(raw)
    shown = _shown(name if shown_as is None else shown_as)
    try:
        # O_NONBLOCK so that a FIFO given by mistake is reported, not waited on forever.
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise ElfError(_os_error_message(shown, exc)) from None
    try:
        with os.fdopen(fd, "rb") as fh:
            return _read_open(name, shown, fh, use)
    except (ElfError, KeyboardInterrupt, MemoryError):
        raise
    except OSError as exc:
        if exc.errno == errno.EINVAL:
            # pyelftools seeks wherever a corrupt header points, negative offsets included.
            raise ElfError(
                f"{shown}: corrupt ELF file (an offset points outside the file)"
            ) from None
        raise ElfError(_os_error_message(shown, exc)) from None
    except Exception as exc:
        # pyelftools raises ELFError, ELFParseError, struct.error and plain Python errors
        # (IndexError, KeyError, UnicodeDecodeError, AssertionError, RecursionError ...) on
        # malformed input; all of them mean the same thing to a user.
        raise ElfError(f"{shown}: corrupt ELF file ({_one_line(exc)})") from None


def _read_open(
    name: str, shown: str, fh: io.BufferedReader, use: Callable[[ElfHeaders, mmap.mmap], T]
) -> T:
    size = _check_ident(shown, fh)
    # The mapping lives only as long as this call. If another process truncates the file
    # while it is mapped, touching the lost pages raises SIGBUS; go build and gostatic
    # replace outputs by rename, which leaves this open inode intact.
    with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        return use(_headers(name, shown, _open_elf(fh), mm, size), mm)


def _check_ident(shown: str, fh: io.BufferedReader) -> int:
    """The file's size, once it is known to be a regular file with a sound ELF ident."""
    st = os.fstat(fh.fileno())
    if stat.S_ISDIR(st.st_mode):
        raise ElfError(f"{shown}: is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise ElfError(f"{shown}: not a regular file")
    if st.st_size == 0:
        raise ElfError(f"{shown}: empty file")
    ident = fh.read(16)
    if not ident.startswith(_ELF_MAGIC):
        if _ELF_MAGIC.startswith(ident) and len(ident) < 16:
            raise ElfError(f"{shown}: truncated ELF file (header)")
        raise ElfError(f"{shown}: not an ELF file")
    if len(ident) < 16:
        raise ElfError(f"{shown}: truncated ELF file (header)")
    if ident[4] not in (1, 2):
        raise ElfError(f"{shown}: corrupt ELF header (unknown class {ident[4]})")
    if ident[5] not in (1, 2):
        raise ElfError(f"{shown}: corrupt ELF header (unknown byte order {ident[5]})")
    if st.st_size < (52 if ident[4] == 1 else 64):
        raise ElfError(f"{shown}: truncated ELF file (header)")
    fh.seek(0)
    return st.st_size


def _headers(name: str, shown: str, elf: _Elf, mm: mmap.mmap, size: int) -> ElfHeaders:
    header = elf.header
    elf_class = elf.elfclass
    order = "<" if elf.little_endian else ">"
    (e_type,) = struct.unpack_from(order + "H", mm, 16)
    refusal = not_loadable(e_type, header["e_phnum"], elf_class)
    if refusal is not None:
        raise ElfError(f"{shown}: {refusal}")
    _check_bounds(elf, shown, size, elf_class)
    layout = read_layout(mm)
    if layout is None:
        raise ElfError(f"{shown}: corrupt ELF file (unreadable program or section headers)")
    interpreter: str | None = None
    dynamic = _Dynamic()
    for seg in elf.iter_segments():
        p_type = seg["p_type"]
        if p_type == "PT_INTERP" and interpreter is None:
            start = seg["p_offset"]
            data = mm[start : start + seg["p_filesz"]]
            interpreter = data.split(b"\x00", 1)[0].decode("utf-8", "backslashreplace")
        elif p_type == "PT_DYNAMIC":
            dynamic.read(elf, shown, mm, seg["p_offset"], seg["p_filesz"])
    return ElfHeaders(
        path=name,
        shown=shown,
        e_type=e_type,
        elf_type=str(header["e_type"]).removeprefix("ET_"),
        machine=_machine_name(header["e_machine"], elf_class, elf.little_endian),
        elf_class=elf_class,
        entry=header["e_entry"],
        interpreter=interpreter,
        needed=tuple(dynamic.needed),
        flags_1=dynamic.flags_1,
        soname=dynamic.soname,
        layout=layout,
    )


def _check_bounds(elf: _Elf, shown: str, size: int, elf_class: int) -> None:
    # pyelftools reads lazily and past-the-end reads come back short rather than failing, so
    # a cut-off file could otherwise pass for a smaller valid one.
    header = elf.header
    phentsize, shentsize = (32, 40) if elf_class == 32 else (56, 64)
    if header["e_phentsize"] != phentsize:
        raise ElfError(f"{shown}: corrupt ELF header (program header size {header['e_phentsize']})")
    if header["e_phoff"] + elf.num_segments() * phentsize > size:
        raise ElfError(f"{shown}: truncated ELF file (program headers run past the end)")
    shoff = header["e_shoff"]
    if shoff:
        if header["e_shentsize"] != shentsize:
            raise ElfError(
                f"{shown}: corrupt ELF header (section header size {header['e_shentsize']})"
            )
        # Checked before num_sections(), which reads section 0 for extended numbering.
        if shoff + shentsize > size:
            raise ElfError(f"{shown}: truncated ELF file (section headers run past the end)")
        if shoff + elf.num_sections() * shentsize > size:
            raise ElfError(f"{shown}: truncated ELF file (section headers run past the end)")
    for i, seg in enumerate(elf.iter_segments()):
        if seg["p_filesz"] and seg["p_offset"] + seg["p_filesz"] > size:
            raise ElfError(f"{shown}: truncated ELF file (segment {i} runs past the end)")
    for i, sec in enumerate(elf.iter_sections()):
        if sec["sh_type"] != "SHT_NOBITS" and sec["sh_offset"] + sec["sh_size"] > size:
            raise ElfError(f"{shown}: truncated ELF file (section {i} runs past the end)")


class _Dynamic:
    """The dynamic segment's tags that matter here: DT_NEEDED names, DT_FLAGS_1, DT_SONAME."""

    def __init__(self) -> None:
        self.needed: list[str] = []
        self.flags_1 = 0
        self.soname: str | None = None

    def read(self, elf: _Elf, shown: str, mm: mmap.mmap, offset: int, filesz: int) -> None:
        entries = _dynamic_entries(elf, mm, offset, filesz)
        for tag, val in entries:
            if tag == DT_FLAGS_1:
                self.flags_1 |= val
        named = [(tag, val) for tag, val in entries if tag in (DT_NEEDED, DT_SONAME)]
        if not named:
            return
        strtab_addr = next((val for tag, val in entries if tag == DT_STRTAB), None)
        strtab = None if strtab_addr is None else next(elf.address_offsets(strtab_addr), None)
        if strtab is None:
            raise ElfError(f"{shown}: corrupt ELF file (DT_NEEDED without a readable string table)")
        for tag, off in named:
            text = _dynamic_string(shown, mm, strtab + off)
            if tag == DT_NEEDED:
                self.needed.append(text)
            elif self.soname is None:
                self.soname = text


def _dynamic_string(shown: str, mm: mmap.mmap, start: int) -> str:
    end = mm.find(b"\x00", start)
    if start >= len(mm) or end < 0:
        raise ElfError(f"{shown}: corrupt ELF file (DT_NEEDED name outside the file)")
    return mm[start:end].decode("utf-8", "backslashreplace")


def _dynamic_entries(elf: _Elf, mm: mmap.mmap, offset: int, filesz: int) -> list[tuple[int, int]]:
    """The (tag, value) pairs of a dynamic segment, up to DT_NULL or its end.

    Parsed by hand rather than with pyelftools' DynamicSegment: its tag iterator reads on
    until it meets DT_NULL (past the segment on a corrupt file) and insists on UTF-8.
    """
    fmt = ("<" if elf.little_endian else ">") + ("iI" if elf.elfclass == 32 else "qQ")
    entsize = struct.calcsize(fmt)
    entries: list[tuple[int, int]] = []
    for pos in range(offset, offset + filesz - entsize + 1, entsize):
        d_tag, d_val = struct.unpack_from(fmt, mm, pos)
        if d_tag == DT_NULL:
            break
        entries.append((d_tag, d_val))
    return entries


# --- machine names -----------------------------------------------------------------------

_MACHINES: dict[str, str] = {
    "EM_X86_64": "x86-64",
    "EM_AARCH64": "aarch64",
    "EM_386": "i386",
    "EM_ARM": "arm",
    "EM_PPC": "ppc",
    "EM_SPARC": "sparc",
    "EM_SPARCV9": "sparc64",
}


def _machine_name(e_machine: object, elf_class: int, little_endian: bool) -> str:
    # Names whose meaning depends on class or byte order follow Go's GOARCH spelling, because
    # "ppc64" for a ppc64le binary would send someone to the wrong toolchain.
    if e_machine == "EM_RISCV":
        return f"riscv{elf_class}"
    if e_machine == "EM_LOONGARCH":
        return f"loongarch{elf_class}"
    if e_machine == "EM_S390":
        return "s390x" if elf_class == 64 else "s390"
    if e_machine == "EM_PPC64":
        return "ppc64le" if little_endian else "ppc64"
    if e_machine == "EM_MIPS":
        base = "mips64" if elf_class == 64 else "mips"
        return base + ("le" if little_endian else "")
    if isinstance(e_machine, str):
        return _MACHINES.get(e_machine, e_machine)
    # pyelftools passes through numbers it has no name for.
    return f"EM_{e_machine}"


# --- errors ------------------------------------------------------------------------------


def _shown(path: str) -> str:
    # A newline or an undecodable byte (a surrogate after fsdecode) in a file name would
    # break the one-line promise or crash the terminal writer; escape only then.
    if path and path.isprintable():
        return path
    return ascii(path)


_OS_REASONS = {
    errno.ENOENT: "no such file",
    errno.EISDIR: "is a directory",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOTDIR: "no such file (a parent is not a directory)",
    errno.ELOOP: "too many levels of symbolic links",
    errno.ENAMETOOLONG: "file name too long",
}


def _os_error_message(shown: str, exc: OSError) -> str:
    reason = _OS_REASONS.get(exc.errno or 0) or (exc.strerror or type(exc).__name__).lower()
    return f"{shown}: {reason}"


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    detail = text[0] if text else ""
    if len(detail) > 120:
        detail = detail[:117] + "..."
    name = type(exc).__name__
    return f"{name}: {detail}" if detail else name
