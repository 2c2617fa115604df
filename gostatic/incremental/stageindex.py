"""Which package each binary of a stage directory belongs to, so that `gostatic cache clear
PACKAGE` can remove that package's copies (gostatic.incremental.forget).

A stage directory is named by a digest of its key (gostatic.incremental.stage), and its
binaries by go's names for them: neither tells the package. The full path, which knows it,
records it in a small file in the stage directory beside the strategy directories and the
stamps. The file is untrusted like everything in the cache: read as a codec file of its
own kind, and a name in it is only ever a file name inside that stage directory.
"""

from __future__ import annotations

import os

from gostatic.incremental import codec

TYPE_CHECKING = False  # see gostatic.records: typing is not imported on the build path
if TYPE_CHECKING:
    from collections.abc import Mapping

MEMBERS_FILE = "members"  # not a directory, so never taken for a strategy's
MEMBERS_KIND = "gostatic-stage-members-1"
_FIELDS = ("member_name", "member_package")


def read_members(stage_dir: str) -> dict[str, str]:
    """The stage's binaries' names and their packages; empty if unknown."""
    fields = codec.read(MEMBERS_KIND, os.path.join(stage_dir, MEMBERS_FILE), _FIELDS)
    if fields is None:
        return {}
    try:
        rows = fields.rows(*_FIELDS)
    except ValueError:
        return {}
    return {name: package for name, package in rows if _is_file_name(name)}


def record_members(stage_dir: str, members: Mapping[str, str]) -> None:
    """Add ``members`` (binary name: package) to the stage's record; written only when it
    changes. A stage directory that was never made is left alone."""
    if not os.path.isdir(stage_dir):
        return
    known = read_members(stage_dir)
    merged = {**known, **members}
    if merged == known:
        return
    _write(stage_dir, merged)


def forget_package(stage_root: str, package: str) -> int:
    """Remove ``package``'s binaries and stamps from every stage directory that records
    it, and a stage directory left with none; the number of stage directories changed.
    OSError propagates."""
    import shutil  # only for `cache clear`: every full build imports this module

    try:
        entries = [e for e in os.scandir(stage_root) if e.is_dir(follow_symlinks=False)]
    except FileNotFoundError:
        return 0
    changed = 0
    for entry in entries:
        members = read_members(entry.path)
        names = [name for name, owner in members.items() if owner == package]
        if not names:
            continue
        changed += 1
        left = {n: p for n, p in members.items() if p != package}
        if not left:
            shutil.rmtree(entry.path)
            continue
        for name in names:
            _remove_copies(entry.path, name)
        _write(entry.path, left)
    return changed


def _remove_copies(stage_dir: str, name: str) -> None:
    """The binary ``name`` in each strategy directory, and its stamp (in `stamps/`)."""
    for sub in os.scandir(stage_dir):
        if sub.is_dir(follow_symlinks=False):
            try:  # noqa: SIM105 (contextlib is one more import on the build path)
                os.unlink(os.path.join(sub.path, name))
            except FileNotFoundError:
                pass


def _write(stage_dir: str, members: Mapping[str, str]) -> None:
    from gostatic.atomic import write_atomic

    fields: list[tuple[str, str]] = []
    for name, package in sorted(members.items()):
        fields += zip(_FIELDS, (name, package), strict=True)
    write_atomic(os.path.join(stage_dir, MEMBERS_FILE), codec.encode(MEMBERS_KIND, fields))


def _is_file_name(name: str) -> bool:
    return bool(name) and name not in (".", "..") and os.path.basename(name) == name
