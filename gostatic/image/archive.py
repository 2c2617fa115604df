"""``oci-archive:FILE[:TAG]``: an OCI layout in one tar file, written here rather than by
skopeo because skopeo stamps each member with the time it wrote the archive (seen with
skopeo 1.9: two writes a second apart differ), and the archive must be the same bytes on
every write. The layout inside is what skopeo writes and reads: ``oci-layout``,
``index.json``, ``blobs/sha256/...``, as a plain (uncompressed) tar.

The archive is written beside FILE and renamed over it: FILE is the old archive or the
new one, never a part of either.
"""

from __future__ import annotations

import os
import tarfile

from gostatic.atomic import discard, put_in_place
from gostatic.image.layout import INDEX_FILE, LAYOUT_FILE

_DIRECTORY_MODE = 0o755
_FILE_MODE = 0o644


def write_oci_archive(layout: str, target: str, epoch: int) -> None:
    """Archive the layout directory ``layout`` (as gostatic wrote it) to ``target``."""
    directory, name = os.path.split(os.path.abspath(target))
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, f".{name}.{os.urandom(6).hex()}.gostatic-tmp")
    try:
        with (
            open(tmp, "xb") as out,
            tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar,
        ):
            for member in _members(layout):
                _add(tar, layout, member, epoch)
        os.chmod(tmp, _FILE_MODE)
    except BaseException:
        discard(tmp)
        raise
    put_in_place(tmp, target)


def _members(layout: str) -> list[str]:
    blobs = sorted(
        name
        for name in os.listdir(os.path.join(layout, "blobs", "sha256"))
        if not name.startswith(".")  # a blob still being written has a hidden name
    )
    return [
        "blobs/",
        "blobs/sha256/",
        *(f"blobs/sha256/{name}" for name in blobs),
        INDEX_FILE,
        LAYOUT_FILE,
    ]


def _add(tar: tarfile.TarFile, layout: str, member: str, epoch: int) -> None:
    info = tarfile.TarInfo(member.rstrip("/"))
    info.mtime = epoch
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if member.endswith("/"):
        info.type = tarfile.DIRTYPE
        info.mode = _DIRECTORY_MODE
        tar.addfile(info)
        return
    info.mode = _FILE_MODE
    with open(os.path.join(layout, member), "rb") as content:
        info.size = os.fstat(content.fileno()).st_size
        tar.addfile(info, content)
