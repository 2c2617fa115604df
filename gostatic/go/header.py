"""The package clause and imports of a Go source file, read from its header alone.

gostatic.builder.headstart guesses a package's first rung from its own imports while go
list, which is the authority, is still running. This reads the package clause and the
import declarations after it, skipping comments, and stops at the first other
declaration. It knows nothing of build constraints (the guess can be wrong; go list
tells). A file it does not understand gives None.
"""

from __future__ import annotations

from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from collections.abc import Iterator

    Token = tuple[str, str]  # ("word", identifier), ("path", string literal), ("mark", char)

_SPACE = frozenset(" \t\r\n")


class GoHeader(Record):
    """What a Go file's header says: its package's name and the paths it imports."""

    package: str
    imports: frozenset[str]
    # A build may leave a file of the package out (gostatic.builder.sourceguess says).
    constrained: bool = False


def read_header(source: str) -> GoHeader | None:
    """The header of a Go file; None if it does not start with a package clause followed
    by import declarations as this reads them."""
    try:
        tokens = _tokens(source)
        if next(tokens, None) != ("word", "package"):
            return None
        name = next(tokens, None)
        if name is None or name[0] != "word":
            return None
        imports = _read_imports(tokens)
    except ValueError:
        return None
    return GoHeader(name[1], frozenset(imports)) if imports is not None else None


def _read_imports(tokens: Iterator[Token]) -> set[str] | None:
    imports: set[str] = set()
    token = next(tokens, None)
    while token is not None:
        if token == ("mark", ";"):
            token = next(tokens, None)
            continue
        if token != ("word", "import"):
            return imports  # the first other declaration: the imports are all read
        token = next(tokens, None)
        if token == ("mark", "("):
            token = next(tokens, None)
            while token is not None and token != ("mark", ")"):
                if token != ("mark", ";"):
                    path = _spec(token, tokens)
                    if path is None:
                        return None
                    imports.add(path)
                token = next(tokens, None)
            if token is None:
                return None  # no closing parenthesis
        else:
            path = _spec(token, tokens)
            if path is None:
                return None
            imports.add(path)
        token = next(tokens, None)
    return imports


def _spec(first: Token | None, tokens: Iterator[Token]) -> str | None:
    """The path of one import spec: an optional name (an identifier, "_" or "."), then the
    path."""
    token = first
    if token is not None and (token[0] == "word" or token == ("mark", ".")):
        token = next(tokens, None)
    return token[1] if token is not None and token[0] == "path" else None


def _tokens(source: str) -> Iterator[Token]:
    """Identifiers, string literals and other characters, without spaces and comments;
    ValueError for what it cannot read (an unterminated comment or string)."""
    i, end = 0, len(source)
    while i < end:
        char = source[i]
        if char in _SPACE:
            i += 1
        elif source.startswith("//", i):
            newline = source.find("\n", i)
            i = end if newline < 0 else newline
        elif source.startswith("/*", i):
            close = source.find("*/", i + 2)
            if close < 0:
                raise ValueError("unterminated comment")
            i = close + 2
        elif char in '"`':
            close = source.find(char, i + 1)
            if close < 0 or "\\" in source[i:close]:
                raise ValueError("a string this does not read")  # import paths hold no escapes
            yield ("path", source[i + 1 : close])
            i = close + 1
        elif char.isalpha() or char == "_":
            start = i
            while i < end and (source[i].isalnum() or source[i] == "_"):
                i += 1
            yield ("word", source[start:i])
        else:
            yield ("mark", char)
            i += 1
