"""The lock files that serialise gostatic's writers: the strategy cache, and `build --pin`.

An advisory lock (flock) on the lock file, as filelock takes it on Unix, without
importing filelock: every cold build records its strategy, and filelock's import took
40 ms of CPU (gostatic.records lists it) that a 2-core machine takes from go's link.
"""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager

from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

# Each holder keeps a lock for a read and a write of a small file: milliseconds. A wait
# this long means something is wrong, and the build is worth more than what it would write.
LOCK_TIMEOUT = 20.0
_POLL_SECONDS = 0.01


@contextmanager
def holding(lock_path: Path) -> Iterator[None]:
    """Hold the lock file ``lock_path``, its directory made if need be. OSError when it
    cannot be had (TimeoutError after LOCK_TIMEOUT seconds)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"{lock_path}: held by another process") from None
                time.sleep(_POLL_SECONDS)
        yield
    finally:
        os.close(fd)  # and with it the lock
