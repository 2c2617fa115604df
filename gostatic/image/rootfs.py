"""``rootfs:DIR``: the image's file tree as a plain directory, for a Dockerfile to
``COPY --from`` into ``FROM scratch``.

The tree is written under a temporary name beside DIR and renamed to DIR when complete,
so DIR holds the whole tree or does not exist. An existing DIR is never merged into or
replaced (only an empty one): removing a directory of someone's files is not gostatic's
to do. Modes and times are set as the image's layer has them; owners are 0:0 when
gostatic runs as root (as in a Docker build stage), the writer's otherwise.
"""

from __future__ import annotations

import os
import shutil

from gostatic.errors import GostaticError, UsageError
from gostatic.image.entries import Entry, open_content
from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable


def check_rootfs_target(directory: str) -> None:
    if not os.path.lexists(directory):
        return
    if not os.path.isdir(directory) or os.path.islink(directory):
        raise UsageError(f"rootfs:{directory}: exists and is not a directory")
    if os.listdir(directory):
        raise UsageError(f"rootfs:{directory}: not empty; give a new or an empty directory")


def write_rootfs(directory: str, entries: Iterable[Entry], epoch: int) -> None:
    check_rootfs_target(directory)
    target = os.path.abspath(directory)
    parent, name = os.path.split(target)
    os.makedirs(parent, exist_ok=True)
    staging = os.path.join(parent, f".{name}.{os.urandom(6).hex()}.gostatic-tmp")
    os.mkdir(staging, 0o700)
    try:
        _fill(staging, entries, epoch)
        if os.path.isdir(target):
            os.rmdir(target)  # empty, checked above
        os.rename(staging, target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise GostaticError(f"rootfs:{directory}: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _fill(root: str, entries: Iterable[Entry], epoch: int) -> None:
    directories: list[tuple[str, Entry]] = [(root, Entry("/", "dir", 0o755))]
    for entry in entries:
        path = os.path.join(root, entry.name)
        if entry.kind == "dir":
            os.mkdir(path, 0o700)
            directories.append((path, entry))
        elif entry.kind == "symlink":
            os.symlink(entry.target or "", path)
            _own(path, entry, epoch)
        else:
            _write_file(path, entry)
            _own(path, entry, epoch)
    # Last, deepest first: writing into a directory would change its time again, and
    # /tmp's sticky bit or a read-only mode must not stop the files going in.
    for path, entry in reversed(directories):
        _own(path, entry, epoch)


def _write_file(path: str, entry: Entry) -> None:
    with open_content(entry) as content, open(path, "xb") as out:
        shutil.copyfileobj(content, out)


def _own(path: str, entry: Entry, epoch: int) -> None:
    if os.geteuid() == 0:
        os.lchown(path, 0, 0)
    if entry.kind != "symlink":  # a link's own mode means nothing on Linux
        os.chmod(path, entry.mode)
    os.utime(path, (epoch, epoch), follow_symlinks=False)
