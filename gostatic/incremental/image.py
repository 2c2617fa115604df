"""A binary go has just linked, read once and whole: the bytes that are checked are the
bytes that are installed (gostatic.incremental.install), whatever happens to the stage
file afterwards.

Read rather than mapped: a read of an 8 MB binary from the page cache costs about 0.5 ms,
and the hazard search then runs a little faster over bytes than over a mapping (timed in
a loop; docs/performance.md), so a binary is read once where it used to be mapped twice
and copied once.
"""

from __future__ import annotations

import errno
import os
import stat

from gostatic.records import Record


class Image(Record):
    """A stage binary's bytes and permission bits, as read at one moment."""

    data: bytes
    mode: int  # stat.S_IMODE of the file read: go writes the stage with its executable mode


def read_image(path: str) -> Image:
    """The regular file at ``path``, read whole; OSError for anything else. A stage file is
    untrusted: the open does not block on a FIFO, and the type is checked before anything
    is read (/dev/zero never ends)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", path)
        chunks: list[bytes] = []
        # Read to the end, not to the size fstat gave: a file still being written (or cut
        # short) is read as it is at the time, and the checks see those very bytes.
        while chunk := os.read(fd, max(st.st_size, 1 << 16)):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return Image(b"".join(chunks), stat.S_IMODE(st.st_mode))  # one chunk: not copied
