"""The lock files that serialise gostatic's writers: the strategy cache, and `build --pin`."""

from __future__ import annotations

from contextlib import contextmanager

from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

# Each holder keeps a lock for a read and a write of a small file: milliseconds. A wait
# this long means something is wrong, and the build is worth more than what it would write.
LOCK_TIMEOUT = 20.0


@contextmanager
def holding(lock_path: Path) -> Iterator[None]:
    """Hold the lock file ``lock_path``, its directory made if need be. OSError when it
    cannot be had (filelock's Timeout, after LOCK_TIMEOUT seconds, is one)."""
    from filelock import FileLock  # only writers pay for it

    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(lock_path, timeout=LOCK_TIMEOUT):
        yield
