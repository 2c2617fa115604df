"""The bytes of a stage binary that are checked, then installed: the stage file is read
once, by the kernel, into a private copy beside the output, and every check reads that
copy through one mapping.

Why a copy and not the bytes in memory: a binary read into Python's memory costs its
page faults (about 5 ms for 8 MB in a fresh process, timed), as much as the second
reading it would save; copying in the kernel and mapping the copy costs less than that,
and the copy is what is renamed over the output anyway (docs/performance.md has the
figures). The copy is gostatic's own (a new file under a random name, writable by its
owner only, gostatic.atomic): the stage file can change after the copy is made, the
bytes checked and installed do not.
"""

from __future__ import annotations

import errno
import mmap
import os
import stat

from gostatic.atomic import copy_beside, discard, put_in_place
from gostatic.errors import GostaticError
from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from types import TracebackType

    from gostatic.elf.layout import Data


def map_file(path: str) -> Data:
    """The regular file at ``path``, mapped read-only (b"" when it is empty); OSError for
    anything else. The open does not block on a FIFO, and the type is checked before
    anything is mapped."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", path)
        if st.st_size == 0:
            return b""
        return mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
    finally:
        os.close(fd)  # the mapping keeps what it needs


class Snapshot:
    """A stage binary as it will be installed, for a ``with`` block.

    With an output (its path, and the user's spelling of it), ``path`` is a copy beside
    it and ``data`` maps the copy: :meth:`put_in_place` renames that very file over the
    output; otherwise the block's end removes it. With no output nothing is installed,
    and ``path`` is the stage binary itself.
    """

    def __init__(self, stage_bin: str, output: tuple[str, str] | None) -> None:
        self.data: Data = b""
        self.copy = copy_beside(stage_bin, *output) if output is not None else None
        self.path = stage_bin if self.copy is None else self.copy
        try:
            self.data = map_file(self.path)
        except BaseException:
            self.close()
            raise

    def put_in_place(self, dest: str) -> None:
        """Rename the copy over ``dest``: readers see the old file or the new."""
        copy, self.copy = self.copy, None
        if copy is None:
            raise ValueError("a snapshot with no copy is never installed")
        self._unmap()
        put_in_place(copy, dest)

    def close(self) -> None:
        """Unmap the bytes, and remove the copy unless it was put in place."""
        self._unmap()
        if self.copy is not None:
            discard(self.copy)
            self.copy = None

    def _unmap(self) -> None:
        if isinstance(self.data, mmap.mmap):
            self.data.close()
        self.data = b""

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def new_snapshot(stage_bin: str, output: tuple[str, str] | None) -> Snapshot:
    """The snapshot of a binary go has just linked: its copy beside ``output``; the stage
    binary itself where there is no output, or where no copy can be written there (the
    install then tries again, and says why it cannot, as it would have)."""
    try:
        return Snapshot(stage_bin, output)
    except (OSError, GostaticError):
        if output is None:
            raise
        return Snapshot(stage_bin, None)
