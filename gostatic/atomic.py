"""Writing files so that readers see the old content or the new, never a part of either.

Built on os alone: tempfile and shutil import random, hashlib (OpenSSL), bz2, lzma and
pathlib (their cost: gostatic.records), and a rebuild after a change installs a binary on
every Makefile target that changed, while go is still linking on both cores.
"""

from __future__ import annotations

import os
import stat

from gostatic.errors import GostaticError
from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeAlias

    StrPath: TypeAlias = "str | os.PathLike[str]"

_COPY_CHUNK = 1 << 20


_TMP_SUFFIX = ".gostatic-tmp"


def _create_beside(dest: str) -> tuple[int, str]:
    """A new private (0600) file in ``dest``'s directory, so that os.replace is atomic.

    Its name holds this process's id: a writer killed before its rename (kill -9, a
    power cut) leaves a temporary file that the next writer of ``dest`` removes, once no
    process of that id is left (:func:`_remove_stale`).
    """
    directory, name = os.path.split(dest)
    os.makedirs(directory or ".", exist_ok=True)
    _remove_stale(directory or ".", name)
    pid = os.getpid()
    while True:
        tmp = os.path.join(directory, f".{name}.{pid}.{os.urandom(6).hex()}{_TMP_SUFFIX}")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600), tmp
        except FileExistsError:
            continue


def _remove_stale(directory: str, name: str) -> None:
    """Remove the temporary files for ``name`` in ``directory`` whose writer is gone."""
    prefix = f".{name}."
    try:
        with os.scandir(directory) as entries:
            found = [e.name for e in entries if e.name.startswith(prefix)]
    except OSError:
        return  # the write itself will say what is wrong with the directory
    for entry in found:
        writer = _writer_of(entry[len(prefix) :])
        if writer is not None and not _alive(writer):
            discard(os.path.join(directory, entry))


def _writer_of(rest: str) -> int | None:
    """The process id in the ``PID.HEX.gostatic-tmp`` end of a temporary file's name;
    None for any other name (another file whose name starts like it)."""
    if not rest.endswith(_TMP_SUFFIX):
        return None
    pid, dot, random = rest[: -len(_TMP_SUFFIX)].partition(".")
    if not (dot and pid.isascii() and pid.isdigit() and len(random) == 12):
        return None
    writer = int(pid)
    return writer if 0 < writer < 1 << 31 else None


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (another user's included)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, and is not ours to signal
    return True


def _write_beside(dest: str, fill: Callable[[int], None], mode: int | None) -> str:
    """A temporary file beside ``dest``, written by ``fill``: the path to rename over
    ``dest``. On any failure, Ctrl-C included, the temporary file is removed."""
    fd, tmp = _create_beside(dest)
    try:
        try:
            fill(fd)
            if mode is not None:
                os.fchmod(fd, mode)
        finally:
            os.close(fd)
    except OSError as exc:
        discard(tmp)
        if exc.filename is None:  # a write to the descriptor: name the file it was for
            raise OSError(exc.errno, exc.strerror, dest) from exc
        raise
    except BaseException:
        discard(tmp)
        raise
    return tmp


def _replace_with(dest: str, fill: Callable[[int], None], mode: int | None) -> None:
    """Write a temporary file beside ``dest`` with ``fill``, then rename it over ``dest``."""
    tmp = _write_beside(dest, fill, mode)
    try:
        os.replace(tmp, dest)
    except BaseException:
        discard(tmp)
        raise


def discard(tmp: str) -> None:
    """Remove a temporary file that will not be put in place."""
    try:  # noqa: SIM105 (contextlib is one more import)
        os.unlink(tmp)
    except OSError:
        pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def write_atomic(
    dest: StrPath, data: bytes, mode: int | None = None, *, replace: bool = True
) -> bool:
    """Put ``data`` at ``dest``: readers see the old file or the new, never a part.

    The file is private (0600) unless ``mode`` says otherwise. Without ``replace``, a file
    at ``dest`` is never overwritten, not even one that appears while this one is being
    written: then nothing is written and the answer is False.
    """
    target = os.fspath(dest)
    if replace:
        _replace_with(target, lambda fd: _write_all(fd, data), mode)
        return True
    return _write_new(target, data, mode)


def _write_new(dest: str, data: bytes, mode: int | None) -> bool:
    """Write beside ``dest``, then hard-link the result to ``dest``: unlike a rename, a
    link fails rather than overwrite."""
    tmp = _write_beside(dest, lambda fd: _write_all(fd, data), mode)
    try:
        os.link(tmp, dest)
    except FileExistsError:
        return False
    except OSError:
        # No hard links on this file system (some FUSE and network mounts): exclusive
        # creation still never overwrites, at the cost of a partial file after a crash.
        return _create_new(dest, data, mode)
    finally:
        discard(tmp)
    return True


def _create_new(dest: str, data: bytes, mode: int | None) -> bool:
    try:
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        return False
    try:
        _write_all(fd, data)
        if mode is not None:
            os.fchmod(fd, mode)
    finally:
        os.close(fd)
    return True


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
    # Start writing the copy to disk now, while the caller does something else (the
    # install checks the copy): renaming a file over another makes ext4 start that writeback
    # and wait on it (auto_da_alloc; docs/performance.md has what this saves). The data
    # still reaches the disk before the rename, as before; only the start is earlier.
    # (posix_fallocate would skip the writeback at the rename altogether, but a crash
    # could then leave zeros under the output's name, with the inode, size and mtime
    # that the stage's stamp trusts.)
    if _fadvise is not None:
        try:  # noqa: SIM105 (contextlib is one more import)
            _fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        except OSError:
            pass


_fadvise = getattr(os, "posix_fadvise", None)


def copy_beside(src: StrPath, dest: StrPath, shown: str | None = None) -> str:
    """A copy of the binary ``src`` beside ``dest``, with ``src``'s mode, for
    :func:`put_in_place` (or :func:`discard`): the caller can check the very bytes it is
    about to install while the copy is written out.

    Only a regular file (or a symlink, which is replaced, not followed) is ever replaced:
    renaming over a device node such as /dev/null would swap it for a binary. And, as
    go build refuses, never a file that holds something else than a program or object
    file (a source file named by -o): :class:`NotAnObjectFile`, naming ``dest`` as
    ``shown`` (the user's spelling of it).
    """
    source, target = os.fspath(src), os.fspath(dest)
    _check_replaceable(target)
    _check_object_file(target, target if shown is None else shown)
    # go wrote the stage with its own executable mode.
    executable = stat.S_IMODE(os.stat(source).st_mode)
    return _write_beside(target, lambda fd: _copy_into(source, fd), executable)


def put_in_place(copy: str, dest: StrPath) -> None:
    """Rename a :func:`copy_beside` over ``dest``: readers see the old file or the new."""
    target = os.fspath(dest)
    try:
        _check_replaceable(target)
        os.replace(copy, target)
    except BaseException:
        discard(copy)
        raise


def install(src: StrPath, dest: StrPath) -> None:
    """Copy a verified binary to ``dest`` atomically: old or new, never partial."""
    put_in_place(copy_beside(src, dest), dest)


def _check_replaceable(target: str) -> None:
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return
    if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        raise GostaticError(f"{target}: exists and is not a regular file; not replaced")


class NotAnObjectFile(GostaticError):
    """The output names a file go build would not overwrite."""


# The first bytes of the files go build overwrites (cmd/go's objectMagic): archives, ELF,
# Mach-O, PE, Plan 9, WebAssembly and XCOFF.
_OBJECT_MAGIC = (
    b"!<arch>\n",
    b"<bigaf>\n",
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"MZ\x90\x00\x03\x00",
    b"MZx\x00\x01\x00",
    b"\x00\x00\x01\xeb",
    b"\x00\x00\x8a\x97",
    b"\x00\x00\x06\x47",
    b"\x00asm",
    b"\x01\xdf",
    b"\x01\xf7",
)


def _check_object_file(target: str, shown: str) -> None:
    """Refuse, as go build does, to overwrite a regular file that is neither empty nor
    an object file; go follows a symlink to tell."""
    try:
        st = os.stat(target)
    except OSError:
        return  # nothing there (or nothing go could look at either)
    if not stat.S_ISREG(st.st_mode) or st.st_size == 0:
        return
    try:
        with open(target, "rb") as f:
            head = f.read(64)
    except OSError:
        head = b""  # go cannot read it either, and so does not take it for an object
    if not head.startswith(_OBJECT_MAGIC):
        raise NotAnObjectFile(f'build output "{shown}" already exists and is not an object file')
