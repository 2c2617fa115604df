"""What a cgo package becomes when the program is built with ``CGO_ENABLED=0``.

The package graph says which packages use cgo; a second `go list -deps`, with cgo off,
says what the same build is made of without it. Compared file by file:

- the package still in the graph with "build constraints exclude all Go files" (every Go
  file imports "C"): the build without cgo **fails**;
- files that only the build without cgo compiles (``//go:build !cgo``) whose string
  literals speak of cgo ("Binary was compiled with 'CGO_ENABLED=0', go-sqlite3 requires
  cgo to work. This is a stub"): a **stub**, in the package's own words;
- such files that say nothing of cgo: the package's **real** code for builds without cgo
  (go-ethereum's crypto uses a pure-Go secp256k1 there). Also when the cgo package drops
  out of the graph because its importer has such files in its place;
- anything else is **unknown**: the package keeps its other files and loses its cgo
  files, or its importer loses the files that imported it, with nothing in their place.

Only "fails" and "stub" are said to make a build without cgo useless; the others are
stated for what they are. The source files read are untrusted input, only searched.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence

from gostatic.cgo.use import CANNOT_BE_STATIC, NETGO_TAG, OSUSERGO_TAG, CgoUse
from gostatic.go.listing import list_args
from gostatic.go.packages import _decode_stream
from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from pathlib import Path
    from typing import Literal, TypeAlias

    from gostatic.go.flags import GoBuildArgs
    from gostatic.go.packages import PackageGraph
    from gostatic.go.session import GoSession

    Verdict: TypeAlias = Literal["fails", "stub", "real", "unknown"]

# The go list fields this module reads (go list -deps -e -json=FIELDS), with cgo on and off.
FIELDS = "ImportPath,Dir,GoFiles,CgoFiles,Imports,Error,DepOnly"
_NO_FILES = "build constraints exclude all Go files"
_SOURCE_LIMIT = 1 << 20  # a generated file larger than this is not read whole
_QUOTE_LIMIT = 100


class SourceFacts(Record):
    """One package as one `go list` saw it."""

    import_path: str
    dir: str
    go_files: tuple[str, ...]  # without the files that import "C"
    cgo_files: tuple[str, ...]
    imports: tuple[str, ...]
    error: str | None


class CgoOffVerdict(Record):
    package: str  # the cgo package
    verdict: Verdict
    detail: str  # one sentence: what is known
    files: tuple[str, ...]  # the files it rests on, relative to their package's directory


def _strings(obj: Mapping[str, object], key: str) -> tuple[str, ...]:
    value = obj.get(key)
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def read_listing(text: str) -> dict[str, SourceFacts]:
    """``go list -deps -e -json=FIELDS`` output, by import path."""
    listing = {}
    for obj in _decode_stream(text):
        error = obj.get("Error")
        facts = SourceFacts(
            import_path=str(obj.get("ImportPath", "")),
            dir=str(obj.get("Dir", "")),
            go_files=_strings(obj, "GoFiles"),
            cgo_files=_strings(obj, "CgoFiles"),
            imports=_strings(obj, "Imports"),
            error=str(error.get("Err")) if isinstance(error, dict) else None,
        )
        listing[facts.import_path] = facts
    return listing


def graph_facts(graph: PackageGraph) -> dict[str, SourceFacts]:
    """The build's own package graph (listed with cgo on) as the listing with cgo on."""
    return {
        path: SourceFacts(path, p.dir, p.go_files, p.cgo_files, p.imports, p.error)
        for path, p in graph.by_path.items()
    }


def list_without_cgo(
    args: GoBuildArgs, env: Mapping[str, str], cwd: Path, session: GoSession
) -> dict[str, SourceFacts] | None:
    """The same build's packages as go lists them with CGO_ENABLED=0; None if go list
    fails (then nothing is known of a build without cgo)."""
    command = list_args(args, fields=FIELDS)
    listed = session.run(command, env={**env, "CGO_ENABLED": "0"}, cwd=cwd, check=False)
    if not listed.ok:
        return None
    return read_listing(listed.stdout)


def read_source(path: str) -> str:
    """A source file's text, or "" if it cannot be read."""
    try:
        with open(path, encoding="utf-8", errors="replace") as source:
            return source.read(_SOURCE_LIMIT)
    except OSError:
        return ""


def _skip_comment(text: str, i: int) -> int:
    """The index after the comment starting at ``i``."""
    if text.startswith("//", i):
        end = text.find("\n", i)
        return len(text) if end < 0 else end
    end = text.find("*/", i + 2)
    return len(text) if end < 0 else end + 2


def _quoted_end(text: str, i: int) -> int:
    """The index of the closing quote of the literal opened at ``i``."""
    quote, j = text[i], i + 1
    while j < len(text) and text[j] != quote:
        if quote != "`" and text[j] == "\\":
            j += 1
        elif quote != "`" and text[j] == "\n":
            return j  # an unterminated literal: go would not compile it
        j += 1
    return j


def string_literals(text: str) -> Iterator[str]:
    """The contents of the Go source's string literals ("..." and `...`), comments and
    rune literals skipped; escapes are left as written."""
    i = 0
    while i < len(text):
        if text.startswith(("//", "/*"), i):
            i = _skip_comment(text, i)
        elif text[i] in "\"`'":
            end = _quoted_end(text, i)
            if text[i] != "'":
                yield text[i + 1 : end]
            i = end + 1
        else:
            i += 1


def _blank(text: str, i: int) -> int:
    """The index after the spaces, semicolons and comments at ``i``."""
    while i < len(text):
        if text.startswith(("//", "/*"), i):
            i = _skip_comment(text, i)
        elif text[i] in " \t\r\n;":
            i += 1
        else:
            return i
    return i


def _word_end(text: str, i: int) -> int:
    while i < len(text) and (text[i].isalnum() or text[i] in "_."):
        i += 1
    return i


def _import_end(text: str, i: int) -> int:
    """The index after the import declaration whose first spec starts at ``i``."""
    if text.startswith("(", i):
        while i < len(text) and text[i] != ")":
            if text.startswith(("//", "/*"), i):
                i = _skip_comment(text, i)
            elif text[i] in '"`':
                i = _quoted_end(text, i) + 1
            else:
                i += 1
        return i + 1
    i = _blank(text, _word_end(text, i))  # an alias, if any
    return _quoted_end(text, i) + 1 if text[i : i + 1] in ('"', "`") else i


def after_imports(text: str) -> str:
    """A Go source file from its first declaration on: the package clause and the import
    paths, which are string literals too ("github.com/ebitengine/purego/internal/fakecgo"),
    left out."""
    i = _blank(text, 0)
    if text.startswith("package", i):
        i = _blank(text, _word_end(text, _blank(text, i + len("package"))))
    while text.startswith("import", i) and _word_end(text, i) == i + len("import"):
        i = _blank(text, _import_end(text, _blank(text, i + len("import"))))
    return text[i:]


# cgo as a word ("requires cgo", "CGO_ENABLED=0"), not inside one ("fakecgo").
_SPEAKS_OF_CGO = re.compile(r"(?<![a-z0-9])cgo(?![a-z0-9])", re.IGNORECASE)


def _cgo_message(files: Sequence[str], directory: str, read: Callable[[str], str]) -> str | None:
    """The first string literal of ``files`` that speaks of cgo: "file: literal"."""
    for name in files:
        for literal in string_literals(after_imports(read(os.path.join(directory, name)))):
            if _SPEAKS_OF_CGO.search(literal):
                cut = (
                    literal if len(literal) <= _QUOTE_LIMIT else literal[: _QUOTE_LIMIT - 3] + "..."
                )
                return f'{name} says "{cut}"'
    return None


def _own_code(
    package: str,
    owner: str,
    files: tuple[str, ...],
    directory: str,
    read: Callable[[str], str],
    lead: str = "",
) -> CgoOffVerdict:
    """The verdict on ``owner``'s files for builds without cgo: a stub or real code."""
    message = _cgo_message(files, directory, read)
    if message is not None:
        detail = f"{lead}without cgo {owner} compiles a stub: {message}"
        return CgoOffVerdict(package, "stub", detail, files)
    detail = (
        f"{lead}{owner} has its own code for builds without cgo ({_some(files)}), "
        "which does not say it needs cgo"
    )
    return CgoOffVerdict(package, "real", detail, files)


def _only_without_cgo(on: SourceFacts | None, off: SourceFacts) -> tuple[str, ...]:
    compiled_with_cgo = set(on.go_files) if on is not None else set()
    return tuple(f for f in off.go_files if f not in compiled_with_cgo)


def _some(files: tuple[str, ...], shown: int = 3) -> str:
    """A few file names, and how many more (confluent-kafka-go has 21 cgo files)."""
    more = len(files) - shown
    return ", ".join(files[:shown]) + (f" and {more} more" if more > 0 else "")


def _in_graph(
    package: str, on: SourceFacts | None, off: SourceFacts, read: Callable[[str], str]
) -> CgoOffVerdict:
    cgo_files = on.cgo_files if on is not None else ()
    listed = _some(cgo_files)
    if off.error is not None:
        if _NO_FILES in off.error:
            detail = f'{package} cannot be built without cgo: every Go file imports "C" ({listed})'
            return CgoOffVerdict(package, "fails", detail, cgo_files)
        detail = f"go list says of {package} without cgo: {off.error}"
        return CgoOffVerdict(package, "unknown", detail, ())
    own = _only_without_cgo(on, off)
    if own:
        return _own_code(package, package, own, off.dir, read)
    detail = (
        f"without cgo {package} leaves out its cgo files ({listed}) and keeps the rest: "
        "whether it still does its work is not known"
    )
    return CgoOffVerdict(package, "unknown", detail, cgo_files)


def _dropped(
    use: CgoUse,
    on: Mapping[str, SourceFacts],
    off: Mapping[str, SourceFacts],
    read: Callable[[str], str],
) -> CgoOffVerdict:
    """The cgo package is not linked without cgo: the nearest importer that still is
    tells what takes its place."""
    package = use.package
    lead = f"{package} is not linked without cgo; "
    for importer in reversed(use.chain[:-1]):
        facts = off.get(importer)
        if facts is None:
            continue
        own = _only_without_cgo(on.get(importer), facts)
        if own:
            return _own_code(package, importer, own, facts.dir, read, lead)
        detail = (
            f"{lead}{importer} imported it from files that need cgo, with nothing in their "
            "place: what it did with it is missing"
        )
        return CgoOffVerdict(package, "unknown", detail, ())
    return CgoOffVerdict(package, "unknown", lead.rstrip("; "), ())


def judge(
    use: CgoUse,
    on: Mapping[str, SourceFacts],
    off: Mapping[str, SourceFacts],
    read: Callable[[str], str] = read_source,
) -> CgoOffVerdict:
    """What ``use``'s package (a cgo package of the build, with its import chain) becomes
    in the same build with ``CGO_ENABLED=0``: ``on`` and ``off`` are the two listings."""
    if use.remedy in (NETGO_TAG, OSUSERGO_TAG):
        detail = f"the standard library's {use.package} has a complete pure-Go implementation"
        return CgoOffVerdict(use.package, "real", detail, ())
    if use.remedy == CANNOT_BE_STATIC:
        # plugin: its file for builds without cgo returns "not implemented", not a word of cgo.
        detail = f"without cgo the standard library's {use.package} is a stub that always fails"
        return CgoOffVerdict(use.package, "stub", detail, ())
    facts = off.get(use.package)
    if facts is None:
        return _dropped(use, on, off, read)
    return _in_graph(use.package, on.get(use.package), facts, read)


def judge_all(
    uses: Sequence[CgoUse],
    on: Mapping[str, SourceFacts],
    off: Mapping[str, SourceFacts],
    read: Callable[[str], str] = read_source,
) -> tuple[CgoOffVerdict, ...]:
    return tuple(judge(use, on, off, read) for use in uses)


def cgo_off_refusal(verdicts: Sequence[CgoOffVerdict], take_unknown: bool = False) -> str | None:
    """Why a build with cgo off must not be taken, in the verdicts' own words, or None.
    A stub or a failure always refuses it; "unknown" does unless ``take_unknown``."""
    refusing = {"fails", "stub"} if take_unknown else {"fails", "stub", "unknown"}
    reasons = [v.detail for v in verdicts if v.verdict in refusing]
    if not reasons:
        return None
    return "CGO_ENABLED=0 not taken: " + "; ".join(reasons)
