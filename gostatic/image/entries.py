"""One path of an image's file tree: what it is, its mode, and where its bytes come from.

Ownership and times are not recorded here: every entry is written as uid/gid 0 with the
image's one fixed time, so that nothing of the machine that wrote it leaks in.
"""

from __future__ import annotations

import io
import os
import posixpath

from gostatic.errors import GostaticError, UsageError
from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from typing import BinaryIO, Literal, TypeAlias

    EntryKind: TypeAlias = Literal["file", "dir", "symlink"]


class Entry(Record):
    path: str  # absolute and normalised, in the image
    kind: EntryKind
    mode: int  # permission bits (with the sticky bit for /tmp)
    data: bytes | None = None  # a generated file's content
    source: str | None = None  # a file on this machine whose content is copied
    target: str | None = None  # a symlink's target

    @property
    def name(self) -> str:
        """The path as a tar member is named: relative, without the leading slash."""
        return self.path.lstrip("/")

    @property
    def listed(self) -> str:
        """The path as a result lists it: a directory ends with a slash."""
        return self.path + "/" if self.kind == "dir" else self.path

    @property
    def depth_key(self) -> tuple[str, ...]:
        """Sorts a tree so that each directory comes right before what it holds."""
        return tuple(self.path.split("/"))


def generated(path: str, data: bytes, mode: int = 0o644) -> Entry:
    return Entry(path, "file", mode, data=data)


def host_file(path: str, source: str, mode: int) -> Entry:
    return Entry(path, "file", mode, source=source)


def directory(path: str, mode: int = 0o755) -> Entry:
    return Entry(path, "dir", mode)


def symlink(path: str, target: str) -> Entry:
    return Entry(path, "symlink", 0o777, target=target)


def image_path(text: str, what: str) -> str:
    """``text`` as an absolute, normalised path in the image, or a :class:`UsageError`
    naming ``what`` it was given as."""
    if not text.startswith("/"):
        raise UsageError(f"{what}: {text!r} is not an absolute path in the image")
    if ".." in text.split("/") or "\0" in text:
        raise UsageError(f"{what}: {text!r} must not climb out with '..'")
    path = posixpath.normpath(text)
    if path.startswith("//"):  # normpath keeps a leading double slash (POSIX allows it)
        path = "/" + path.lstrip("/")
    if path == "/":
        raise UsageError(f"{what}: the image's root itself cannot be replaced")
    return path


def parents(path: str) -> tuple[str, ...]:
    """The directories above ``path``, outermost first, without the root."""
    parts = path.strip("/").split("/")[:-1]
    return tuple("/" + "/".join(parts[: i + 1]) for i in range(len(parts)))


def open_content(entry: Entry) -> BinaryIO:
    """A file's bytes, to be read from the start (a generated file's from memory)."""
    if entry.data is not None:
        return io.BytesIO(entry.data)
    if entry.source is None:
        raise ValueError(f"{entry.path} has no content")
    try:
        return open(entry.source, "rb")
    except OSError as exc:
        raise GostaticError(f"cannot read {entry.source}: {exc.strerror or exc}") from None


def content_size(content: BinaryIO) -> int:
    if isinstance(content, io.BytesIO):
        return len(content.getbuffer())
    return os.fstat(content.fileno()).st_size
