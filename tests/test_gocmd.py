"""The one function that runs go, when the wait for it is interrupted."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from types import FrameType

import pytest

from gostatic.gocmd import run_go


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is not running: it only waits for its parent to read its status.
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def test_interrupted_run_go_stops_go_and_its_children(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    fake_go = tmp_path / "go"
    # go's stand-in starts a child of its own, as go starts compilers, and waits.
    fake_go.write_text(f'#!/bin/sh\nsleep 30 &\necho "$$ $!" > {pids}\nwait\n')
    fake_go.chmod(0o755)
    env = {"GOSTATIC_GO": str(fake_go), "PATH": os.environ["PATH"], "TMPDIR": str(tmp_path)}

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 1.0)
        with pytest.raises(KeyboardInterrupt):
            run_go(["build"], env=env)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    shell, child = (int(p) for p in pids.read_text().split())
    for _ in range(50):
        if not _alive(shell) and not _alive(child):
            break
        time.sleep(0.1)
    assert not _alive(shell) and not _alive(child)
    assert not list(tmp_path.glob("gostatic-go-*"))  # the private GOTMPDIR is gone too
