"""The format of the small state files an up-to-date build reads: stage stamps and plans.

A file is a kind tag, then named fields: each name and each value ended by NUL, the one
character no path, argument or environment value can hold, so nothing needs escaping. A
name may come back: its values form a list, in file order. JSON would do the same job, but
importing json imports re (the bench's json and re rows, docs/performance.md), against the
40-70 ms `go build` these files let gostatic skip work around.

The files are untrusted like everything in the cache: :func:`read` gives None for a file
that is not of the expected kind or holds a name its reader does not know, and
:class:`Fields` raises :class:`ShapeError` (a ValueError) for a field of the wrong shape,
which each reader turns into "no plan" or "no stamp".
"""

from __future__ import annotations

import os
import stat
import zlib

from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable

    # A file's identity (gostatic.incremental.stage.FileId): inode, size, mtime_ns.
    _Identity = tuple[int, int, int]

_SEP = "\0"


class ShapeError(ValueError):
    """A state file field that is not of the shape its reader expects."""


class Fields:
    """A state file's fields by name: each name's values, in file order."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, list[str]]) -> None:
        self._values = values

    def many(self, name: str) -> list[str]:
        """The values of ``name``, in file order; none if the file has none."""
        return self._values.get(name, [])

    def one(self, name: str) -> str:
        """The value of ``name``, which the file must hold exactly once."""
        values = self.many(name)
        if len(values) != 1:
            raise ShapeError(f"{name}: {len(values)} values, not one")
        return values[0]

    def flag(self, name: str) -> bool:
        """A yes or no written by :func:`flag_value`."""
        value = self.one(name)
        if value not in ("", "1"):
            raise ShapeError(f"{name}: not a flag")
        return value == "1"

    def identity(self, name: str) -> _Identity | None:
        """A file's identity written by :func:`identity_value`; None for no file."""
        value = self.one(name)
        if not value:
            return None
        parts = value.split(":")
        if len(parts) != 3:
            raise ShapeError(f"{name}: not a file identity")
        inode, size, mtime_ns = (int(p) for p in parts)
        return (inode, size, mtime_ns)

    def rows(self, *names: str) -> list[tuple[str, ...]]:
        """The values of ``names`` side by side: row i holds each name's i-th value. Each
        name must hold as many values as the others."""
        columns = [self.many(name) for name in names]
        if any(len(column) != len(columns[0]) for column in columns):
            raise ShapeError(f"{', '.join(names)}: columns of different lengths")
        return list(zip(*columns, strict=True))


def flag_value(value: bool) -> str:
    return "1" if value else ""


def identity_value(found: _Identity | None) -> str:
    """A file's identity as one field; empty for no file."""
    return ":".join(str(x) for x in found) if found is not None else ""


def encode(kind: str, fields: Iterable[tuple[str, str]]) -> bytes:
    """``kind`` and the (name, value) pairs ``fields`` as file content. A NUL inside a name
    or a value is a caller's bug."""
    parts = [kind]
    for name, value in fields:
        parts += (name, value)
    if any(_SEP in p for p in parts):
        raise ValueError("a state file field cannot hold NUL")
    # surrogateescape: paths that are not valid UTF-8 come back exactly as os gave them.
    return "".join(p + _SEP for p in parts).encode("utf-8", "surrogateescape")


def decode_pairs(kind: str, data: bytes) -> list[tuple[str, str]] | None:
    """The (name, value) pairs of a file of ``kind``, in file order; None if it is not one."""
    text = data.decode("utf-8", "surrogateescape")
    if not text.endswith(_SEP):
        return None  # truncated
    tag, *parts = text[:-1].split(_SEP)
    if tag != kind or len(parts) % 2:
        return None
    return list(zip(parts[::2], parts[1::2], strict=True))


def decode(kind: str, data: bytes, names: Collection[str]) -> Fields | None:
    """The fields of a file of ``kind`` whose every name is one of ``names``, else None."""
    pairs = decode_pairs(kind, data)
    if pairs is None:
        return None
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        if name not in names:
            return None
        values.setdefault(name, []).append(value)
    return Fields(values)


# The most a state file is read: a plan of a command line naming ten thousand packages
# holds about 2 MiB.
MAX_STATE_BYTES = 16 << 20


def read(kind: str, path: str, names: Collection[str]) -> Fields | None:
    """The fields of the file at ``path`` (see :func:`decode`); None if it is missing,
    unreadable, larger than :data:`MAX_STATE_BYTES`, or not one."""
    data = read_regular(path, MAX_STATE_BYTES + 1)
    if data is None or len(data) > MAX_STATE_BYTES:
        return None
    return decode(kind, data, names)


def read_regular(path: str | os.PathLike[str], most: int) -> bytes | None:
    """At most the first ``most`` bytes of the regular file at ``path``; None if it cannot
    be read or is not a regular file. A FIFO would block a plain open, and /dev/zero never
    ends: the open does not block, and the type is checked before anything is read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        with open(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            return f.read(most)
    except OSError:
        return None


def digest(text: str) -> str:
    """A short, stable name for ``text`` (a file name, not a proof: readers check the
    file's content against what they expect). zlib rather than hashlib: hashlib loads
    OpenSSL (the bench's hashlib row)."""
    data = text.encode("utf-8", "surrogateescape")
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"
