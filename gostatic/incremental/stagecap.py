"""A cap on the stage's size: the stage keeps a full copy of every binary gostatic built
(42 MB after 7 small builds, issue 17), so after a build that wrote something new the
stage directories least recently used are removed until the whole fits under the cap.

"Used" is what go does to a stage binary on every build into it: it writes it, or, when
it is up to date, touches it (its mtime is set to now), so a stage's last use is the
newest time of the files in it, with no bookkeeping on the up-to-date path. The cap is
`GOSTATIC_CACHE_MAX` (bytes, or with a K, M, G or T suffix: powers of 1024), by default
1 GiB. A stage directory that this build uses is never removed, even when it alone is over
the cap. A removed stage costs the next build of its command line the full path, never a
wrong binary: its plan finds no stamp there.
"""

from __future__ import annotations

import math
import os

from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

CACHE_MAX_ENV = "GOSTATIC_CACHE_MAX"
DEFAULT_CACHE_MAX = 1 << 30
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
# A stage directory holds strategy directories and stamps, each holding files: no deeper.
_STAGE_DEPTH = 2
_OTHER_DEPTH = 4  # plans/ holds files; anything deeper is not gostatic's


class StageUse(Record):
    """One stage directory: its name, how many bytes its files take, and its last use."""

    name: str
    size: int
    last_used: int  # ns since the epoch


def parse_size(text: str) -> int | None:
    """Bytes from "1073741824", "2G", "500M", "1.5GiB", "64k"; None if it is not a size."""
    value = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = value[-1:] if value[-1:] in _UNITS else ""
    number = value[: len(value) - len(unit)].strip()
    try:
        amount = float(number)
    except ValueError:
        return None
    if not number or not math.isfinite(amount) or amount < 0:
        return None
    return int(amount * _UNITS[unit])


def cache_limit(env: Mapping[str, str]) -> tuple[int, str | None]:
    """The cap in bytes, and a warning when the variable is set to what is not a size."""
    given = env.get(CACHE_MAX_ENV, "").strip()
    if not given:
        return DEFAULT_CACHE_MAX, None
    limit = parse_size(given)
    if limit is None:
        return DEFAULT_CACHE_MAX, (
            f"{CACHE_MAX_ENV}={given!r} is not a size (such as 2G, 500M or a number of "
            f"bytes); the stage is kept under the default, {format_size(DEFAULT_CACHE_MAX)}"
        )
    return limit, None


def format_size(size: int) -> str:
    """ "0 B", "812 B", "1.5 KiB", "41.9 MiB", "1.0 GiB"."""
    amount = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if amount < 1024:
            return f"{size} B" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} TiB"


def stage_uses(stage_root: str) -> list[StageUse]:
    """Every stage directory under ``stage_root`` (symbolic links are not followed)."""
    try:
        entries = [e for e in os.scandir(stage_root) if e.is_dir(follow_symlinks=False)]
    except FileNotFoundError:
        return []
    uses = []
    for entry in entries:
        size, newest = _tree_facts(entry.path, _STAGE_DEPTH)
        uses.append(StageUse(entry.name, size, max(newest, entry.stat().st_mtime_ns)))
    return uses


class CacheUsage(Record):
    """How much a cache directory takes: in all, and in its stage."""

    total: int  # bytes of every file under the cache directory
    stage: int  # of them, the stage's
    stages: int  # stage directories


def cache_usage(cache_root: str, stage_dir: str) -> CacheUsage:
    """What the cache directory ``cache_root`` takes, its stage being ``stage_dir``."""
    uses = stage_uses(os.path.join(cache_root, stage_dir))
    stage = sum(u.size for u in uses)
    others = 0
    try:
        entries = list(os.scandir(cache_root))
    except FileNotFoundError:
        entries = []
    for entry in entries:
        if entry.name == stage_dir:
            continue
        if entry.is_dir(follow_symlinks=False):
            others += _tree_facts(entry.path, _OTHER_DEPTH)[0]
        elif entry.is_file(follow_symlinks=False):
            others += entry.stat(follow_symlinks=False).st_size
    return CacheUsage(stage + others, stage, len(uses))


def trim_stage(stage_root: str, limit: int, in_use: Collection[str]) -> list[str]:
    """Remove the stage directories least recently used until the stage fits in ``limit``
    bytes, except those named in ``in_use``; the names removed. A directory that cannot
    be removed is passed over (another build may hold it)."""
    uses = stage_uses(stage_root)
    total = sum(u.size for u in uses)
    removed: list[str] = []
    if total <= limit:
        return removed
    import shutil  # only when something goes: shutil imports bz2 and lzma (records.py)

    for use in sorted(uses, key=lambda u: u.last_used):
        if total <= limit:
            break
        if use.name in in_use:
            continue
        try:
            shutil.rmtree(os.path.join(stage_root, use.name))
        except OSError:
            continue
        total -= use.size
        removed.append(use.name)
    return removed


def _tree_facts(path: str, depth: int) -> tuple[int, int]:
    """The bytes of the files under ``path`` and the newest mtime (ns) among them."""
    size, newest = 0, 0
    try:
        entries = list(os.scandir(path))
    except OSError:
        return 0, 0
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue  # removed meanwhile
        newest = max(newest, info.st_mtime_ns)
        if entry.is_dir(follow_symlinks=False):
            if depth > 0:
                below, latest = _tree_facts(entry.path, depth - 1)
                size, newest = size + below, max(newest, latest)
        else:
            size += info.st_size
    return size, newest
