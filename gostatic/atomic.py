"""Writing files so that readers see the old content or the new, never a part of either.

Built on os alone: tempfile and shutil import random, hashlib (OpenSSL), bz2, lzma and
pathlib, ~11 ms measured, and a rebuild after a change installs a binary on every
Makefile target that changed, while go is still linking on both cores.
"""

from __future__ import annotations

import os
import stat

from gostatic.errors import GostaticError

TYPE_CHECKING = False  # see gostatic.records: typing is not imported on the build path
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeAlias

    StrPath: TypeAlias = "str | os.PathLike[str]"

_COPY_CHUNK = 1 << 20


def _create_beside(dest: str) -> tuple[int, str]:
    """A new private (0600) file in ``dest``'s directory, so that os.replace is atomic."""
    directory, name = os.path.split(dest)
    os.makedirs(directory or ".", exist_ok=True)
    while True:
        tmp = os.path.join(directory, f".{name}.{os.urandom(6).hex()}.gostatic-tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600), tmp
        except FileExistsError:
            continue


def _replace_with(dest: str, fill: Callable[[int], None], mode: int | None) -> None:
    """Write a temporary file beside ``dest`` with ``fill``, then rename it over ``dest``.
    On any failure, Ctrl-C included, the temporary file is removed."""
    fd, tmp = _create_beside(dest)
    try:
        try:
            fill(fd)
            if mode is not None:
                os.fchmod(fd, mode)
        finally:
            os.close(fd)
        os.replace(tmp, dest)
    except BaseException:
        try:  # noqa: SIM105 (contextlib is one more import)
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def write_atomic(dest: StrPath, data: bytes, mode: int | None = None) -> None:
    """Replace ``dest`` with ``data``: readers see the old file or the new, never a part.

    The file is private (0600) unless ``mode`` says otherwise.
    """
    _replace_with(os.fspath(dest), lambda fd: _write_all(fd, data), mode)


def _copy_into(src: str, fd: int) -> None:
    with open(src, "rb") as source:
        size = os.fstat(source.fileno()).st_size
        offset = 0
        try:
            # In the kernel, as shutil.copyfile does on Linux.
            while offset < size:
                sent = os.sendfile(fd, source.fileno(), offset, size - offset)
                if sent == 0:
                    break
                offset += sent
        except OSError:
            if offset:
                raise
            # No sendfile to a regular file here: copy through memory.
            while chunk := source.read(_COPY_CHUNK):
                _write_all(fd, chunk)


def install(src: StrPath, dest: StrPath) -> None:
    """Copy a verified binary to ``dest`` atomically: old or new, never partial.

    Only a regular file (or a symlink, which is replaced, not followed) is ever replaced:
    renaming over a device node such as /dev/null would swap it for a binary.
    """
    # Most of this call's time goes to the rename on ext4, measured: renaming over a file
    # starts the new one's writeback (auto_da_alloc) and sleeps in write throttling, 1.3 of
    # 2 ms for a 2.4 MB binary, 14 of 20 ms for 20 MB. posix_fallocate before the copy
    # skips that (4x faster) but defers the data up to ~30 s, and a crash then leaves zeros
    # under the new name, with the inode, size and mtime the stage's stamp trusts; so no.
    source, target = os.fspath(src), os.fspath(dest)
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        raise GostaticError(f"{target}: exists and is not a regular file; not replaced")
    # go wrote the stage with its own executable mode.
    executable = stat.S_IMODE(os.stat(source).st_mode)
    _replace_with(target, lambda fd: _copy_into(source, fd), executable)
