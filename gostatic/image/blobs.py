"""Content-addressed blobs of an OCI image layout (``blobs/sha256/HEX``), and the
descriptors that point at them.

A blob is written under a temporary name and renamed to its digest once complete, so a
layout never holds a blob whose name does not match its bytes, even after a crash; one
already there is the same bytes by construction and is kept.
"""

from __future__ import annotations

import hashlib
import json
import os

from gostatic.atomic import discard
from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from types import TracebackType

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


class Descriptor(Record):
    media_type: str
    digest: str  # "sha256:HEX"
    size: int

    def as_json(self) -> dict[str, object]:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size}


def canonical_json(document: object) -> bytes:
    """The one byte form a document is written in: sorted keys, no spaces."""
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


class BlobStore:
    """The ``blobs/sha256`` directory of one OCI layout."""

    def __init__(self, layout: str) -> None:
        self.directory = os.path.join(layout, "blobs", "sha256")
        os.makedirs(self.directory, exist_ok=True)

    def path(self, digest: str) -> str:
        return os.path.join(self.directory, digest.removeprefix("sha256:"))

    def put(self, data: bytes, media_type: str) -> Descriptor:
        with self.writer() as blob:
            blob.write(data)
        return blob.finish(media_type)

    def writer(self) -> BlobWriter:
        return BlobWriter(self)


class BlobWriter:
    """A blob being written: a file object for tarfile or gzip, hashing as it goes."""

    def __init__(self, store: BlobStore) -> None:
        self._store = store
        self._hash = hashlib.sha256()
        self._size = 0
        self._tmp = os.path.join(store.directory, f".{os.urandom(6).hex()}.gostatic-tmp")
        self._file = open(self._tmp, "xb")  # noqa: SIM115 (closed by __exit__)
        self._descriptor: Descriptor | None = None

    def write(self, data: bytes) -> int:
        self._hash.update(data)
        self._size += len(data)
        return self._file.write(data)

    def flush(self) -> None:  # gzip's writer protocol asks for it
        self._file.flush()

    def __enter__(self) -> BlobWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._file.close()
        if kind is not None:
            discard(self._tmp)
            return
        digest = "sha256:" + self._hash.hexdigest()
        os.replace(self._tmp, self._store.path(digest))
        self._descriptor = Descriptor("", digest, self._size)

    def finish(self, media_type: str) -> Descriptor:
        """The blob's descriptor, once the ``with`` block has closed it."""
        if self._descriptor is None:
            raise RuntimeError("the blob is not complete")
        return self._descriptor._replace(media_type=media_type)
