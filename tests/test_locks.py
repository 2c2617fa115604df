"""The writers' lock (gostatic.locks): one holder at a time, across processes; a lock held
too long is an OSError, not a hang."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from gostatic import locks

HOLD = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def hold_elsewhere(path: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process holding the lock, as another gostatic (or filelock) would."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    return proc


def test_the_lock_waits_for_another_holder(tmp_path: Path) -> None:
    path = tmp_path / "dir" / "x.lock"
    path.parent.mkdir()
    other = hold_elsewhere(path, 0.5)
    start = time.monotonic()
    with locks.holding(path):
        waited = time.monotonic() - start
    other.wait()
    assert waited > 0.1


def test_a_lock_held_too_long_is_an_os_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "x.lock"
    monkeypatch.setattr(locks, "LOCK_TIMEOUT", 0.2)
    other = hold_elsewhere(path, 5)
    try:
        with pytest.raises(OSError, match="held by another process"), locks.holding(path):
            pass
    finally:
        other.kill()
        other.wait()


def test_the_lock_file_and_its_directory_are_made(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "x.lock"
    with locks.holding(path):
        assert path.exists()
    with locks.holding(path):  # released: taken again at once
        pass
