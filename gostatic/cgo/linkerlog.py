"""What the C compiler and linker said during a `go build`, read from go's stderr.

When the external link fails, go prints ``link: running gcc failed: exit status 1``, the C
linker's command line and then everything the linker said. That text names the real
reason (an archive that needs a symbol no library in the link defines, a library with no
static archive, a header the C compiler cannot find), and on a link that succeeds it
carries glibc's warnings about functions that need shared libraries at run time. Both are
read here, from text alone: nothing is run, so a test can hold the parser to real linker
output captured on any machine.

GNU ld (bfd) says where a reference comes from in two lines, an ``OBJECT: in function
`F':`` line and then the reference itself, whose own prefix is a source location or a
section offset; later references from the same function repeat only the second line.
LLVM's lld (zig cc's linker) puts the symbol first and the object on ``>>>`` lines after
it. Both are understood; anything else is left alone rather than guessed at.
"""

from __future__ import annotations

import os
import re

from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from collections.abc import Hashable, Iterator
    from typing import TypeVar

    _T = TypeVar("_T", bound=Hashable)

# At most this many of the linker's lines are kept as the decisive ones: a missing library
# can leave hundreds of undefined references, and the first few say what they all say.
MAX_LINES = 12

# The patterns are kept as text: re compiles each on first use and keeps it. Only a build
# whose C compiler or linker spoke reads them; compiling them all at import took ~2 ms of
# every build.

# "/usr/bin/ld: ", "ld.bfd: ", "/usr/bin/x86_64-linux-gnu-ld: ": the GNU linker's prefix.
_LD_PREFIX = r"^(?:\S*/)?(?:[\w.-]+-)?ld(?:\.bfd|\.gold)?: "
# GNU ld quotes `like this' in the C locale and with typographic quotes in a UTF-8 one.
_IN_FUNCTION = r"^(?P<object>.+?): in function [`'\u2018](?P<function>.+?)['\u2019]:$"
_QUOTED = r"[`'\u2018](?P<symbol>[^`'\u2018\u2019]+)['\u2019]"
_UNDEFINED = rf"^(?P<where>.*?):? ?undefined reference to (?:symbol )?{_QUOTED}"
_CANNOT_FIND = r"cannot find -l(?P<library>[^\s:]+|:\S+?)(?::|$)"
_LLD_UNDEFINED = r"(?:ld\.lld: error: |error: ld\.lld: )undefined symbol: (?P<symbol>.+)$"
_LLD_CANNOT_FIND = r"unable to find library -l(?P<library>\S+)"
_LLD_REFERENCE = r"^(?:>>>|note:)\s+(?P<object>\S+?):\(.*?\)(?: in archive (?P<a>\S+))?$"
_MISSING_HEADER = (
    r"fatal error: (?:(?P<gcc>\S+): No such file or directory|'(?P<clang>[^']+)' file not found)"
)
_RUNNING = r"link: running (?P<linker>\S+) failed"
_STATIC_WARNING = (
    rf"^(?P<where>.*?):? ?warning: Using {_QUOTED} in statically linked applications requires"
)
# An object as GNU ld names it: an archive member "lib.a(member.o)" or an object file,
# possibly followed by a section offset "(.text+0x5)".
_OBJECT = r"^(?P<object>.+?\.a\([^)]+\)|.+?\.o(?:bj)?)(?::\(.*\))?$"
# go links the cgo objects of every package from a fresh directory /tmp/go-link-NNN.
_GO_LINK_DIR = r"^.*/go-link-\d+/"
GO_OBJECT_PREFIX = "cgo:"


class Undefined(Record):
    """One symbol the link needed and no object or library in it defined."""

    symbol: str
    # "ARCHIVE(MEMBER)" with the archive's path normalised, an object file, or
    # "cgo:NNNNNN.o" for the cgo code of a Go package; "" when the linker did not say.
    wanted_by: str


class StaticWarning(Record):
    """glibc's warning that a function needs its shared libraries at run time."""

    function: str  # dlopen, getaddrinfo, getpwnam...
    caller: str  # the calling object, as in Undefined.wanted_by
    location: str  # the caller's source file and line, when the object has debug info


class LinkerLog(Record):
    """The decisive facts of one go build's C compiler and linker output."""

    linker: str  # the C linker go ran ("gcc", "/usr/bin/musl-gcc"); "" if go did not say
    static: bool  # that linker's command line asked for -static or -static-pie
    undefined: tuple[Undefined, ...]
    missing_libraries: tuple[str, ...]  # NAME of each -lNAME the linker found nowhere
    missing_headers: tuple[str, ...]
    warnings: tuple[StaticWarning, ...]
    # The lines that say the above, at most MAX_LINES: the compiler's and linker's own for a
    # missing header or library, one "OBJECT: undefined reference to 'SYMBOL'" each for the rest.
    lines: tuple[str, ...]

    @property
    def failed_for_a_reason(self) -> bool:
        """Whether the text names why the build failed (not only warnings)."""
        return bool(self.undefined or self.missing_libraries or self.missing_headers)


def object_name(text: str) -> str:
    """An object as the linker named it, with the archive's path normalised
    ("/usr/lib/gcc/x86_64-linux-gnu/12/../../../x86_64-linux-gnu/libz.a(crc32.o)" is
    "/usr/lib/x86_64-linux-gnu/libz.a(crc32.o)") and go's temporary link directory
    replaced by "cgo:"."""
    if re.match(_GO_LINK_DIR, text):
        return GO_OBJECT_PREFIX + re.sub(_GO_LINK_DIR, "", text)
    archive, paren, member = text.partition("(")
    return os.path.normpath(archive) + paren + member if archive else text


def _object_in(where: str) -> str | None:
    """The object a reference's own prefix names, if it names one (not a source file)."""
    match = re.match(_OBJECT, where)
    return object_name(match["object"]) if match else None


class _Reader:
    """One pass over the lines, remembering the object the last "in function" line named."""

    def __init__(self) -> None:
        self.context = ""
        self.undefined: list[Undefined] = []
        self.libraries: list[str] = []
        self.headers: list[str] = []
        self.warnings: list[StaticWarning] = []
        self.decisive: list[str] = []
        self.lld_symbol: str | None = None

    def read(self, raw: str) -> None:
        line = raw.strip()
        body = re.sub(_LD_PREFIX, "", line, count=1)
        function = re.match(_IN_FUNCTION, body)
        if function:
            self.context = object_name(function["object"])
            return
        if self._lld(line):
            return
        if self._failure(line, body):
            return
        warning = re.match(_STATIC_WARNING, body)
        if warning:
            caller = _object_in(warning["where"]) or self.context
            location = "" if _object_in(warning["where"]) else _location(warning["where"])
            self.warnings.append(StaticWarning(warning["symbol"], caller, location))

    def _failure(self, line: str, body: str) -> bool:
        undefined = re.match(_UNDEFINED, body)
        if undefined:
            wanted_by = _object_in(undefined["where"]) or self.context
            self.undefined.append(Undefined(undefined["symbol"].split("@")[0], wanted_by))
            return True
        if (
            found := re.search(_CANNOT_FIND, body) or re.search(_LLD_CANNOT_FIND, body)
        ) is not None:
            self.libraries.append(found["library"])
        elif (header := re.search(_MISSING_HEADER, body)) is not None:
            self.headers.append(header["gcc"] or header["clang"])
        else:
            return False
        self.decisive.append(line)
        return True

    def _lld(self, line: str) -> bool:
        """lld's "undefined symbol: S" line, then the ">>>" lines naming the objects."""
        undefined = re.search(_LLD_UNDEFINED, line)
        if undefined:
            self.lld_symbol = undefined["symbol"].strip()
            return True
        reference = re.match(_LLD_REFERENCE, line)
        if reference and self.lld_symbol is not None:
            member, archive = reference["object"], reference["a"]
            wanted_by = object_name(f"{archive}({member})" if archive else member)
            self.undefined.append(Undefined(self.lld_symbol, wanted_by))
            return True
        if not line.startswith((">>>", "note:")):
            self.lld_symbol = None
        return False


def _location(where: str) -> str:
    """A source location ("/src/main.go:8", "sqlite3-binding.c:(.text+0x5)" -> the file)."""
    return "" if where.startswith("(") else where.split(":(", 1)[0]


def _command_line(lines: list[str]) -> tuple[str, bool]:
    """The linker go ran and whether its command line (printed after "running X failed")
    links statically."""
    for i, line in enumerate(lines):
        running = re.search(_RUNNING, line)
        if running:
            following = lines[i + 1].split() if i + 1 < len(lines) else []
            return running["linker"], bool({"-static", "-static-pie"} & set(following))
    return "", False


def read_linker_log(stderr: str) -> LinkerLog:
    """The decisive lines of a go build's stderr (see the module's docstring)."""
    lines = stderr.splitlines()
    reader = _Reader()
    for line in lines:
        reader.read(line)
    linker, static = _command_line(lines)
    undefined = tuple(_unique(reader.undefined))
    # GNU ld splits a reference over two lines (the object, then the symbol): each is
    # shown as one line that names both, the same whichever linker spoke.
    references = [
        f"{u.wanted_by or 'the link'}: undefined reference to '{u.symbol}'" for u in undefined
    ]
    return LinkerLog(
        linker=linker,
        static=static,
        undefined=undefined,
        missing_libraries=tuple(_unique(reader.libraries)),
        missing_headers=tuple(_unique(reader.headers)),
        warnings=tuple(_unique(reader.warnings)),
        lines=tuple(_unique([*reader.decisive, *references]))[:MAX_LINES],
    )


def _unique(items: list[_T]) -> Iterator[_T]:
    seen: set[_T] = set()
    for item in items:
        if item not in seen:
            seen.add(item)
            yield item
