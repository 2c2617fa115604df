"""Writing files so that readers see the old content or the new, never a part of either.

Kept apart from the reading side (gostatic.stage) because tempfile, shutil and contextlib
cost milliseconds to import, and an up-to-date build writes nothing.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gostatic.errors import GostaticError


@contextmanager
def _temp_beside(dest: Path) -> Iterator[Path]:
    """A temporary file in ``dest``'s directory (so os.replace is atomic), always cleaned up."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".gostatic-tmp", dir=dest.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    finally:
        # After a successful os.replace the name is gone; on any failure, Ctrl-C
        # included, this removes the partial file.
        tmp.unlink(missing_ok=True)


def write_atomic(dest: str | os.PathLike[str], data: bytes, mode: int | None = None) -> None:
    """Replace ``dest`` with ``data``: readers see the old file or the new, never a part.

    The file is private (0600, from mkstemp) unless ``mode`` says otherwise.
    """
    with _temp_beside(Path(dest)) as tmp:
        tmp.write_bytes(data)
        if mode is not None:
            tmp.chmod(mode)
        os.replace(tmp, dest)


def install(src: str | os.PathLike[str], dest: str | os.PathLike[str]) -> None:
    """Copy a verified binary to ``dest`` atomically: old or new, never partial.

    Only a regular file (or a symlink, which is replaced, not followed) is ever replaced:
    renaming over a device node such as /dev/null would swap it for a binary.
    """
    try:
        mode = os.lstat(dest).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        raise GostaticError(f"{dest}: exists and is not a regular file; not replaced")
    with _temp_beside(Path(dest)) as tmp:
        shutil.copyfile(src, tmp)
        shutil.copymode(src, tmp)  # go wrote the stage with its own executable mode
        os.replace(tmp, dest)
