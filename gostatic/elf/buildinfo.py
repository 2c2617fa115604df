"""Go's build information (what `go version -m` shows), read from a binary without running go.

Go 1.18 and later write it inline after a 32-byte header marked ``\xff Go buildinf:``, in
the ``.go.buildinfo`` section (or, without section headers, the first writable,
non-executable PT_LOAD). Older binaries store pointers instead; they give None.
"""

from __future__ import annotations

from gostatic.elf.layout import PF_W, PF_X, PT_LOAD
from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from gostatic.elf.layout import Data, ElfLayout


class GoBuildInfo(Record):
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


_BUILDINFO_MAGIC = b"\xff Go buildinf:"
_BUILDINFO_HEADER = 32
_BUILDINFO_ALIGN = 16
_FLAG_INLINE = 0x2  # Go >= 1.18: strings follow the header instead of pointers


def read_build_info(mm: Data, layout: ElfLayout) -> GoBuildInfo | None:
    """The build info of the Go binary in ``mm``; None for other files and Go before 1.18."""
    size = len(mm)
    region = _go_data_region(layout)
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


def _go_data_region(layout: ElfLayout) -> tuple[int, int, int] | None:
    """(file offset, size in the file, virtual address) of where the build info should be."""
    section = layout.section(".go.buildinfo")
    if section is not None:
        return section.offset, section.size, section.addr
    # Without section headers, go's own reader searches the first writable, non-executable
    # PT_LOAD. The internal linker puts the blob at its start; the external linker after
    # .data.rel.ro and .got, a few hundred KiB in, so the whole segment is searched.
    for seg in layout.segments:
        if seg.p_type == PT_LOAD and seg.flags & (PF_X | PF_W) == PF_W:
            return seg.offset, seg.filesz, seg.vaddr
    return None


def _read_varbytes(mm: Data, pos: int, size: int) -> tuple[bytes | None, int]:
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
            pair = parse_build_line(line[len("build\t") :])
            if pair is not None:
                settings.append(pair)
    return GoBuildInfo(version=version, path=main_path, settings=tuple(settings))


def parse_build_line(kv: str) -> tuple[str, str] | None:
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
        escape = _escape(s, i)
        if escape is None:
            return None
        out += escape[0]
        i += escape[1]
    return None


_HEX_WIDTHS = {"x": 2, "u": 4, "U": 8}
_HEX = frozenset("0123456789abcdefABCDEF")


def _escape(s: str, i: int) -> tuple[bytes, int] | None:
    """The bytes the escape at ``s[i]`` (a backslash) stands for and its length, or None."""
    e = s[i + 1 : i + 2]
    if e in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[e].encode(), 2
    if e and e in _HEX_WIDTHS:
        width = _HEX_WIDTHS[e]
        digits = s[i + 2 : i + 2 + width]
        if len(digits) != width or not _HEX.issuperset(digits):
            return None
        n = int(digits, 16)
        if e == "x":
            return bytes([n]), 2 + width
        if n > 0x10FFFF or 0xD800 <= n <= 0xDFFF:
            return None
        return chr(n).encode("utf-8"), 2 + width
    digits = s[i + 1 : i + 4]
    if len(digits) != 3 or not all(d in "01234567" for d in digits) or int(digits, 8) > 255:
        return None
    return bytes([int(digits, 8)]), 4
