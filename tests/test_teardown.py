"""gostatic.__main__.console skips the interpreter's teardown only when nothing is left for
it to wait for or run: a thread still running, or an exit handler, keeps it (each case in
a fresh interpreter, so that this test run's own threads and handlers do not count)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support import REPO_ROOT

PROBE = """
import sys
from gostatic.__main__ import _nothing_to_tear_down
{setup}
print(_nothing_to_tear_down())
"""


@pytest.mark.parametrize(
    ("setup", "skipped"),
    [
        ("", True),
        ("import threading", True),  # imported, every thread but this one done
        (
            "import threading, time\nthreading.Thread(target=time.sleep, args=(5,), daemon=True)"
            ".start()",
            False,
        ),
        ("import atexit\natexit.register(print, 'bye')", False),
    ],
)
def test_teardown_is_skipped_only_when_nothing_is_left_for_it(setup: str, skipped: bool) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(setup=setup)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split()[0] == str(skipped)
