"""The file tree of one platform's image: the binary, what its needs call for, the
program's own files (``--add``), the directories that hold them, and nothing else."""

from __future__ import annotations

import os
import stat

from gostatic.errors import UsageError
from gostatic.image.entries import (
    Entry,
    directory,
    host_file,
    image_path,
    parents,
    symlink,
)
from gostatic.image.model import Addition
from gostatic.image.needfiles import LISTED, need_entries
from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from gostatic.image.model import ImageOptions, PlatformBinary

_EXECUTABLE = 0o755
_REGULAR = 0o644


class Tree(Record):
    entries: tuple[Entry, ...]  # sorted: each directory right before what it holds
    listed: tuple[str, ...]  # the paths a result names, sorted
    entrypoint: str  # the binary's path


def parse_addition(text: str) -> Addition:
    """``--add SRC:DEST``: DEST is absolute in the image; a DEST ending in "/" receives SRC
    under its own name, as COPY does."""
    source, colon, dest = text.rpartition(":")
    what = f"--add {text}"
    if not colon or not source or not dest:
        raise UsageError(f"{what}: give SRC:DEST, DEST an absolute path in the image")
    if not os.path.exists(source):
        raise UsageError(f"{what}: {source}: no such file or directory")
    if dest.endswith("/"):
        dest += os.path.basename(os.path.normpath(source))
    return Addition(source, image_path(dest, what))


def image_tree(binary: PlatformBinary, options: ImageOptions) -> Tree:
    """Everything one platform's image holds, checked for clashes."""
    entrypoint = image_path(options.entrypoint, "the entrypoint")
    own: list[tuple[str, Entry]] = [("the binary", host_file(entrypoint, binary.binary, 0o755))]
    listed = [entrypoint]
    for need in sorted(set(binary.needs)):
        own.extend((f"the {need} need", e) for e in need_entries(need, options.ca_bundle))
        listed.extend(LISTED[need])
    for addition in options.additions:
        what = f"--add {addition.source}:{addition.dest}"
        added = list(_added_entries(addition, what))
        own.extend((what, e) for e in added)
        listed.append(added[0].listed)
    return Tree(_merged(own), tuple(sorted(listed)), entrypoint)


def _merged(own: Iterable[tuple[str, Entry]]) -> tuple[Entry, ...]:
    by_path: dict[str, tuple[str, Entry]] = {}
    for origin, entry in own:
        earlier = by_path.get(entry.path)
        if earlier is None:
            by_path[entry.path] = (origin, entry)
        elif not (earlier[1].kind == entry.kind == "dir"):
            raise UsageError(f"{origin}: {entry.path} is already in the image ({earlier[0]})")
    for origin, entry in list(by_path.values()):
        for parent in parents(entry.path):
            held = by_path.setdefault(parent, ("a directory", directory(parent)))
            if held[1].kind != "dir":
                raise UsageError(f"{origin}: {parent} is a file in the image ({held[0]})")
    return tuple(sorted((e for _, e in by_path.values()), key=lambda e: e.depth_key))


def _added_entries(addition: Addition, what: str) -> Iterator[Entry]:
    """SRC as image entries: a file, or a directory with everything under it (its
    symbolic links kept as links)."""
    try:
        top = os.stat(addition.source)
    except OSError as exc:
        raise UsageError(f"{what}: {exc.strerror or exc}") from None
    if stat.S_ISREG(top.st_mode):
        yield host_file(addition.dest, addition.source, _mode_of(top.st_mode))
        return
    if not stat.S_ISDIR(top.st_mode):
        raise UsageError(f"{what}: {addition.source} is neither a file nor a directory")
    yield directory(addition.dest)
    yield from _walk(addition.source, addition.dest, what)


def _walk(folder: str, dest: str, what: str) -> Iterator[Entry]:
    try:
        names = sorted(os.listdir(folder))
    except OSError as exc:
        raise UsageError(f"{what}: {folder}: {exc.strerror or exc}") from None
    for name in names:
        source, path = os.path.join(folder, name), f"{dest}/{name}"
        try:
            mode = os.lstat(source).st_mode
        except OSError as exc:
            raise UsageError(f"{what}: {source}: {exc.strerror or exc}") from None
        if stat.S_ISLNK(mode):
            yield symlink(path, os.readlink(source))
        elif stat.S_ISDIR(mode):
            yield directory(path)
            yield from _walk(source, path, what)
        elif stat.S_ISREG(mode):
            yield host_file(path, source, _mode_of(mode))
        else:
            raise UsageError(f"{what}: {source} is neither a file, a directory nor a link")


def _mode_of(host_mode: int) -> int:
    # Only "executable or not" is carried over: the host's umask and group bits are not.
    return _EXECUTABLE if host_mode & 0o111 else _REGULAR
