"""The image's one layer: a gzip'd tar of its file tree, the same bytes on every write.

What would make two writes differ is fixed: members in tree order, owner 0:0 with no
names, one time for every member (and none in the gzip header), modes set by gostatic
rather than read from this machine, no file name in the gzip header.
"""

from __future__ import annotations

import gzip
import hashlib
import tarfile

from gostatic.image.blobs import LAYER, BlobStore, Descriptor
from gostatic.image.entries import Entry, content_size, open_content
from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from collections.abc import Iterable

    from gostatic.image.blobs import BlobWriter

_GZIP_LEVEL = 6  # zlib's default; the level is part of what makes the bytes the same
_TYPES = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE}


class Layer(Record):
    descriptor: Descriptor  # of the compressed blob
    diff_id: str  # the digest of the uncompressed tar, as the config lists it


class _Hashing:
    """Passes bytes on to gzip while hashing them: the uncompressed tar's digest."""

    def __init__(self, sink: gzip.GzipFile) -> None:
        self._sink = sink
        self._hash = hashlib.sha256()
        self._written = 0

    def write(self, data: bytes) -> int:
        self._hash.update(data)
        self._written += len(data)
        return self._sink.write(data)

    def tell(self) -> int:
        return self._written

    @property
    def digest(self) -> str:
        return "sha256:" + self._hash.hexdigest()


def write_layer(entries: Iterable[Entry], epoch: int, store: BlobStore) -> Layer:
    with store.writer() as blob:
        diff_id = _write_tar(entries, epoch, blob)
    return Layer(blob.finish(LAYER), diff_id)


def _write_tar(entries: Iterable[Entry], epoch: int, blob: BlobWriter) -> str:
    zipping = gzip.GzipFile(
        filename="", mode="wb", fileobj=blob, mtime=0, compresslevel=_GZIP_LEVEL
    )
    with zipping as zipped:
        hashing = _Hashing(zipped)
        with tarfile.open(fileobj=hashing, mode="w", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
            for entry in entries:
                _add(tar, entry, epoch)
    return hashing.digest


def _add(tar: tarfile.TarFile, entry: Entry, epoch: int) -> None:
    info = tarfile.TarInfo(entry.name)
    info.type = _TYPES[entry.kind]
    info.mode = entry.mode
    info.mtime = epoch
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if entry.kind == "symlink":
        info.linkname = entry.target or ""
    if entry.kind != "file":
        tar.addfile(info)
        return
    with open_content(entry) as content:
        info.size = content_size(content)
        tar.addfile(info, content)
