"""The format of the small state files an up-to-date build reads: stage stamps and plans.

A file is a kind tag followed by text fields, each ended by NUL: the one character no path,
argument or environment value can hold, so no field needs escaping. JSON would do the same
job, but importing json imports re, ~8 ms measured, against 40-70 ms for the `go build`
these files let gostatic skip work around. The files are untrusted like everything in the
cache: a reader gets None for anything not of the expected kind and shape.
"""

from __future__ import annotations

import zlib

TYPE_CHECKING = False  # see gostatic.records: typing is not imported on the build path
if TYPE_CHECKING:
    from collections.abc import Sequence

_SEP = "\0"


def encode(kind: str, fields: Sequence[str]) -> bytes:
    """``kind`` and ``fields`` as file content. A NUL inside a field is a caller's bug."""
    if any(_SEP in f for f in (kind, *fields)):
        raise ValueError("a state file field cannot hold NUL")
    # surrogateescape: paths that are not valid UTF-8 come back exactly as os gave them.
    return "".join(f + _SEP for f in (kind, *fields)).encode("utf-8", "surrogateescape")


def decode(kind: str, data: bytes) -> list[str] | None:
    """The fields of a file of ``kind``, or None if it is not one."""
    text = data.decode("utf-8", "surrogateescape")
    if not text.endswith(_SEP):
        return None  # truncated
    tag, *fields = text[:-1].split(_SEP)
    return fields if tag == kind else None


def read(kind: str, path: str) -> list[str] | None:
    """The fields of the file at ``path``, or None if it is missing, unreadable or not one."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    return decode(kind, data)


def digest(text: str) -> str:
    """A short, stable name for ``text`` (a file name, not a proof: readers check the
    file's content against what they expect). zlib rather than hashlib: hashlib loads
    OpenSSL, ~4 ms."""
    data = text.encode("utf-8", "surrogateescape")
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"
