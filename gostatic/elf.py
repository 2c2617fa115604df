"""Facts about one ELF file: static or not, what it needs at run time, how Go built it.

This is the only module that imports ``elftools``. It hands out frozen dataclasses and turns
every way a file can fail to be a readable ELF (missing, truncated, corrupt, a pyelftools
exception) into one :class:`ElfError` with a one-line message that starts with the path.

Headers are parsed by pyelftools on the open file; byte scans (Go build info, hazard
signatures) run over a read-only ``mmap`` so a 100 MB binary is never read into memory whole.
"""

from __future__ import annotations

import errno
import io
import mmap
import os
import stat
import struct
from dataclasses import dataclass
from typing import Any, Literal

from elftools.elf.elffile import ELFFile  # type: ignore[import-untyped, unused-ignore]

from gostatic.elfscan import ALL_CARRIERS, merged_spans, signatures_found
from gostatic.errors import ElfError

__all__ = [
    "ElfFacts",
    "GoBuildInfo",
    "Hazard",
    "Kind",
    "error_to_json",
    "facts_to_json",
    "inspect_elf",
]

Kind = Literal["static", "static-pie", "dynamic"]


@dataclass(frozen=True)
class Hazard:
    """Something that passes the static check but breaks in an empty root."""

    kind: str
    detail: str


@dataclass(frozen=True)
class GoBuildInfo:
    """What ``go version -m`` shows, read from the binary without running go."""

    version: str
    path: str
    settings: tuple[tuple[str, str], ...]

    def setting(self, key: str) -> str | None:
        # The go command writes each key once, but a hand-made or odd binary may repeat one;
        # the last value is the one ParseBuildInfo would leave in a map.
        found: str | None = None
        for k, v in self.settings:
            if k == key:
                found = v
        return found


@dataclass(frozen=True)
class ElfFacts:
    path: str
    kind: Kind
    interpreter: str | None
    needed: tuple[str, ...]
    machine: str
    elf_class: int
    elf_type: str
    hazards: tuple[Hazard, ...]
    go: GoBuildInfo | None

    @property
    def is_static(self) -> bool:
        return self.kind in ("static", "static-pie")

    def run_time_needs(self) -> str:
        """What the file asks of the system at run time, in words: "" when nothing."""
        parts = []
        if self.interpreter:
            parts.append(f"interpreter {self.interpreter}")
        if self.needed:
            parts.append("needs " + ", ".join(self.needed))
        return "; ".join(parts)


# --- hazards (the signatures are in gostatic.elfscan) ------------------------------------


def _carriers(go: GoBuildInfo | None) -> frozenset[str]:
    if go is None:
        return frozenset({"c"})
    cgo = go.setting("CGO_ENABLED")
    if cgo == "1":
        return frozenset({"c", "go-cgo"})
    if cgo == "0":
        return frozenset({"go-nocgo"})
    # Build info without the setting (hand-made, or a go command yet to come): assume nothing.
    return ALL_CARRIERS


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


# --- the main entry point ----------------------------------------------------------------

# pyelftools ships annotations from 0.33 on and none before; the project accepts >= 0.31, so
# its objects cross into this module as Any and mypy --strict passes against either.
_Elf = Any
_open_elf: Any = ELFFile

_ELF_MAGIC = b"\x7fELF"
_PT_LOAD = "PT_LOAD"
_PF_X, _PF_W = 0x1, 0x2
_DT_NULL, _DT_NEEDED, _DT_STRTAB = 0, 1, 5


def inspect_elf(path: str | os.PathLike[str]) -> ElfFacts:
    """Read the ELF at ``path``; raise :class:`ElfError` (one line, path first) on any failure."""
    raw = os.fspath(path)
    name = raw if isinstance(raw, str) else os.fsdecode(raw)
    shown = _shown(name)
    try:
        # O_NONBLOCK so that a FIFO given by mistake is reported, not waited on forever.
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise ElfError(_os_error_message(shown, exc)) from None
    try:
        with os.fdopen(fd, "rb") as fh:
            return _inspect_open(name, shown, fh)
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


def _inspect_open(name: str, shown: str, fh: io.BufferedReader) -> ElfFacts:
    st = os.fstat(fh.fileno())
    if stat.S_ISDIR(st.st_mode):
        raise ElfError(f"{shown}: is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise ElfError(f"{shown}: not a regular file")
    size = st.st_size
    if size == 0:
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
    elf_class = 32 if ident[4] == 1 else 64
    if size < (52 if elf_class == 32 else 64):
        raise ElfError(f"{shown}: truncated ELF file (header)")
    fh.seek(0)

    # The mapping lives only as long as this call. If another process truncates the file
    # while it is mapped, touching the lost pages raises SIGBUS; go build and gostatic
    # replace outputs by rename, which leaves this open inode intact.
    with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        return _facts(name, shown, _open_elf(fh), mm, size, elf_class)


def _facts(name: str, shown: str, elf: _Elf, mm: mmap.mmap, size: int, elf_class: int) -> ElfFacts:
    header = elf.header
    e_type = str(header["e_type"])
    # An object file or a core dump has no interpreter and no DT_NEEDED either; calling it
    # "static" would be a false proof about something that is not a program.
    if e_type == "ET_REL":
        raise ElfError(f"{shown}: not an executable (ELF relocatable object file)")
    if e_type == "ET_CORE":
        raise ElfError(f"{shown}: not an executable (ELF core dump)")
    if e_type not in ("ET_EXEC", "ET_DYN"):
        raise ElfError(f"{shown}: not an executable (ELF type {e_type.removeprefix('ET_')})")

    _check_bounds(elf, shown, size, elf_class)

    segments = list(elf.iter_segments())
    interpreter: str | None = None
    needed: list[str] = []
    for seg in segments:
        p_type = seg["p_type"]
        if p_type == "PT_INTERP" and interpreter is None:
            start = seg["p_offset"]
            data = mm[start : start + seg["p_filesz"]]
            interpreter = data.split(b"\x00", 1)[0].decode("utf-8", "backslashreplace")
        elif p_type == "PT_DYNAMIC":
            needed.extend(_needed(elf, shown, mm, seg["p_offset"], seg["p_filesz"], elf_class))

    kind: Kind
    if interpreter is not None or needed:
        kind = "dynamic"
    elif e_type == "ET_DYN":
        # A dependency-free shared library also lands here; it needs no loader either, so
        # "static-pie" does not misstate the only question asked: what it needs at run time.
        kind = "static-pie"
    else:
        kind = "static"

    go = _go_build_info(elf, segments, mm, size)
    # A dynamic binary's problem is already "dynamic"; hazards are what a static one hides.
    hazards = _hazards(mm, _constant_ranges(segments, size), go) if kind != "dynamic" else ()
    return ElfFacts(
        path=name,
        kind=kind,
        interpreter=interpreter,
        needed=tuple(needed),
        machine=_machine_name(header["e_machine"], elf_class, elf.little_endian),
        elf_class=elf_class,
        elf_type=e_type[3:],
        hazards=hazards,
        go=go,
    )


def _check_bounds(elf: _Elf, shown: str, size: int, elf_class: int) -> None:
    # pyelftools reads lazily and past-the-end reads come back short rather than failing, so
    # a cut-off file could otherwise pass for a smaller valid one.
    header = elf.header
    phentsize, shentsize = (32, 40) if elf_class == 32 else (56, 64)
    phnum = elf.num_segments()
    if phnum:
        if header["e_phentsize"] != phentsize:
            raise ElfError(
                f"{shown}: corrupt ELF header (program header size {header['e_phentsize']})"
            )
        if header["e_phoff"] + phnum * phentsize > size:
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


def _needed(
    elf: _Elf, shown: str, mm: mmap.mmap, offset: int, filesz: int, elf_class: int
) -> list[str]:
    # Parsed by hand rather than with pyelftools' DynamicSegment: its tag iterator reads on
    # until it meets DT_NULL (past the segment on a corrupt file) and insists on UTF-8 names.
    fmt = ("<" if elf.little_endian else ">") + ("iI" if elf_class == 32 else "qQ")
    entsize = struct.calcsize(fmt)
    entries: list[tuple[int, int]] = []
    for pos in range(offset, offset + filesz - entsize + 1, entsize):
        d_tag, d_val = struct.unpack_from(fmt, mm, pos)
        if d_tag == _DT_NULL:
            break
        entries.append((d_tag, d_val))
    needed_offsets = [val for tag, val in entries if tag == _DT_NEEDED]
    if not needed_offsets:
        return []
    strtab_addr = next((val for tag, val in entries if tag == _DT_STRTAB), None)
    strtab = None if strtab_addr is None else next(elf.address_offsets(strtab_addr), None)
    if strtab is None:
        raise ElfError(f"{shown}: corrupt ELF file (DT_NEEDED without a readable string table)")
    names = []
    for off in needed_offsets:
        start = strtab + off
        end = mm.find(b"\x00", start)
        if start >= len(mm) or end < 0:
            raise ElfError(f"{shown}: corrupt ELF file (DT_NEEDED name outside the file)")
        names.append(mm[start:end].decode("utf-8", "backslashreplace"))
    return names


def _constant_ranges(segments: list[_Elf], size: int) -> list[tuple[int, int]]:
    """File ranges of the read-only PT_LOAD segments.

    Every signature is a constant (a C string literal, a Go string or function name), and
    constants live in read-only segments; debug info, the symbol table, writable data and
    anything appended after the segments are skipped, which keeps a 100 MB binary quick.
    """
    return merged_spans(
        [
            (seg["p_offset"], min(seg["p_offset"] + seg["p_filesz"], size))
            for seg in segments
            if seg["p_type"] == _PT_LOAD and seg["p_filesz"] and not seg["p_flags"] & _PF_W
        ]
    )


def _hazards(
    mm: mmap.mmap, ranges: list[tuple[int, int]], go: GoBuildInfo | None
) -> tuple[Hazard, ...]:
    found = signatures_found(mm, ranges, _carriers(go))
    return tuple(Hazard(sig.kind, sig.detail) for sig in found)


# --- Go build info -----------------------------------------------------------------------

_BUILDINFO_MAGIC = b"\xff Go buildinf:"
_BUILDINFO_HEADER = 32
_BUILDINFO_ALIGN = 16
_FLAG_INLINE = 0x2  # Go >= 1.18: strings follow the header instead of pointers


def _go_build_info(elf: _Elf, segments: list[_Elf], mm: mmap.mmap, size: int) -> GoBuildInfo | None:
    region = _go_data_region(elf, segments)
    if region is None:
        return None
    start, length, vaddr = region
    end = min(start + length, size)
    pos = mm.find(_BUILDINFO_MAGIC, start, end)
    # The magic is also a string constant in any program that links debug/buildinfo (the go
    # command, for one); the blob itself sits at a 16-byte aligned address.
    while pos >= 0 and (vaddr + pos - start) % _BUILDINFO_ALIGN:
        pos = mm.find(_BUILDINFO_MAGIC, pos + 1, end)
    if pos < 0 or pos + _BUILDINFO_HEADER > end:
        return None
    flags = mm[pos + len(_BUILDINFO_MAGIC) + 1]
    if not flags & _FLAG_INLINE:
        return None  # Go < 1.18 stores pointers; not supported
    cursor = pos + _BUILDINFO_HEADER
    version, cursor = _read_varbytes(mm, cursor, size)
    if not version:
        return None
    modinfo, _ = _read_varbytes(mm, cursor, size)
    return _parse_modinfo(version.decode("utf-8", "replace"), modinfo or b"")


def _go_data_region(elf: _Elf, segments: list[_Elf]) -> tuple[int, int, int] | None:
    """(file offset, size in the file, virtual address) of where the build info should be."""
    section = elf.get_section_by_name(".go.buildinfo") if elf.num_sections() else None
    if section is not None and section["sh_type"] != "SHT_NOBITS":
        return section["sh_offset"], section["sh_size"], section["sh_addr"]
    # Without section headers, go's own reader searches the first writable, non-executable
    # PT_LOAD. The internal linker puts the blob at its start; the external linker after
    # .data.rel.ro and .got, a few hundred KiB in, so the whole segment is searched.
    for seg in segments:
        if seg["p_type"] == _PT_LOAD and seg["p_flags"] & (_PF_X | _PF_W) == _PF_W:
            return seg["p_offset"], seg["p_filesz"], seg["p_vaddr"]
    return None


def _read_varbytes(mm: mmap.mmap, pos: int, size: int) -> tuple[bytes | None, int]:
    length = 0
    shift = 0
    while True:
        if pos >= size or shift > 63:
            return None, pos
        byte = mm[pos]
        pos += 1
        length |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            break
    if pos + length > size:
        return None, pos
    return mm[pos : pos + length], pos + length


def _parse_modinfo(version: str, framed: bytes) -> GoBuildInfo:
    # The go command frames modinfo with 16-byte binary sentinels, stripped before decoding
    # so that their non-UTF-8 bytes cannot shift the cut; without the framing it is not
    # module information (runtime/debug does the same check).
    body = framed[16:-16] if len(framed) >= 33 and framed[-17] == 0x0A else b""
    modinfo = body.decode("utf-8", "replace")
    main_path = ""
    settings: list[tuple[str, str]] = []
    for line in modinfo.split("\n"):
        if line.startswith("path\t"):
            main_path = line[len("path\t") :]
        elif line.startswith("build\t"):
            pair = _parse_build_line(line[len("build\t") :])
            if pair is not None:
                settings.append(pair)
    return GoBuildInfo(version=version, path=main_path, settings=tuple(settings))


def _parse_build_line(kv: str) -> tuple[str, str] | None:
    # Keys and values holding spaces, tabs, quotes or '=' are written with strconv.Quote.
    if not kv or kv[0] == "=":
        return None
    if kv[0] in '"`':
        quoted = _go_quoted_prefix(kv)
        if quoted is None:
            return None
        key, used = quoted
        rest = kv[used:]
        if not rest.startswith("="):
            return None
        raw_value = rest[1:]
    else:
        key, sep, raw_value = kv.partition("=")
        if not sep:
            return None
    value = raw_value
    if raw_value and raw_value[0] in '"`':
        quoted = _go_quoted_prefix(raw_value)
        if quoted is not None and quoted[1] == len(raw_value):
            value = quoted[0]
    return key, value


_SIMPLE_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
}


def _go_quoted_prefix(s: str) -> tuple[str, int] | None:
    """Decode the Go string literal at the start of ``s``: (value, characters used), or None."""
    if s.startswith("`"):
        end = s.find("`", 1)
        if end < 0:
            return None
        return s[1:end].replace("\r", ""), end + 1
    if not s.startswith('"'):
        return None
    # \x and octal escapes denote bytes, not characters, so collect bytes and decode once.
    out = bytearray()
    i = 1
    while i < len(s):
        c = s[i]
        if c == '"':
            return out.decode("utf-8", "replace"), i + 1
        if c == "\n":
            return None
        if c != "\\":
            out += c.encode("utf-8", "surrogateescape")
            i += 1
            continue
        if i + 1 >= len(s):
            return None
        e = s[i + 1]
        if e in _SIMPLE_ESCAPES:
            out += _SIMPLE_ESCAPES[e].encode()
            i += 2
        elif e in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[e]
            digits = s[i + 2 : i + 2 + width]
            if len(digits) != width or not all(d in "0123456789abcdefABCDEF" for d in digits):
                return None
            n = int(digits, 16)
            if e == "x":
                out.append(n)
            elif n > 0x10FFFF or 0xD800 <= n <= 0xDFFF:
                return None
            else:
                out += chr(n).encode("utf-8")
            i += 2 + width
        elif e in "01234567":
            digits = s[i + 1 : i + 4]
            if len(digits) != 3 or not all(d in "01234567" for d in digits):
                return None
            n = int(digits, 8)
            if n > 255:
                return None
            out.append(n)
            i += 4
        else:
            return None
    return None


# --- JSON shapes (design.md, "gostatic verify --json") -------------------------------------


def facts_to_json(f: ElfFacts) -> dict[str, object]:
    go: dict[str, object] | None = None
    if f.go is not None:
        go = {"version": f.go.version, "path": f.go.path, "settings": dict(f.go.settings)}
    return {
        "path": f.path,
        "kind": f.kind,
        "interpreter": f.interpreter,
        "needed": list(f.needed),
        "machine": f.machine,
        "class": f.elf_class,
        "hazards": [{"kind": h.kind, "detail": h.detail} for h in f.hazards],
        "go": go,
        "error": None,
    }


def error_to_json(path: str, message: str) -> dict[str, object]:
    return {
        "path": path,
        "kind": "error",
        "interpreter": None,
        "needed": [],
        "machine": None,
        "class": None,
        "hazards": [],
        "go": None,
        "error": message,
    }
