"""gostatic.incremental.stage: what a claim keeps, what it locks, and when a stage
directory cannot be used (fast unit tests; the builds are in test_tampered_state and
test_output_promises)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gostatic.incremental import stage as stage_module
from gostatic.incremental.stage import Stage, Stamp, file_id, unusable


@pytest.fixture(autouse=True)
def each_test_is_a_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """A claim is remembered for the rest of the process; each test starts with none."""
    monkeypatch.setattr(stage_module, "_claimed", {})


def stage_with(tmp_path: Path, *binaries: str) -> Stage:
    """A stage of package binary "app" (and "other", another package's) built with each
    strategy in ``binaries``."""
    stage = Stage(tmp_path / "stage", "key", "app")
    for strategy in binaries:
        Path(stage.strategy_dir(strategy)).mkdir(parents=True, exist_ok=True)
        Path(stage.binary(strategy)).write_bytes(b"\x7fELF " + strategy.encode())
        (Path(stage.strategy_dir(strategy)) / "other").write_bytes(b"\x7fELF other")
    (Path(stage.dir) / "stamps").mkdir(parents=True, exist_ok=True)
    return stage


def present(stage: Stage, *strategies: str) -> list[str]:
    return [s for s in strategies if Path(stage.binary(s)).exists()]


def test_a_claim_keeps_only_the_stamped_binary_while_the_output_is_its_copy(
    tmp_path: Path,
) -> None:
    stage = stage_with(tmp_path, "plain", "netgo")
    output = tmp_path / "out"
    output.write_bytes(b"\x7fELF netgo")
    stamp = Stamp("netgo", "id", file_id(output), ())
    stage.write_stamp(stamp)
    assert stage.claim(str(output)) == stamp
    assert present(stage, "plain", "netgo") == ["netgo"]
    assert (Path(stage.strategy_dir("plain")) / "other").exists()  # another package's

    output.write_bytes(b"\x7fELF replaced")  # no longer the stamped copy
    stage_module._claimed.clear()  # the next run's claim
    assert stage.claim(str(output)) == stamp
    assert present(stage, "plain", "netgo") == []


def test_a_claim_without_a_stamp_keeps_no_binary(tmp_path: Path) -> None:
    stage = stage_with(tmp_path, "plain", "netgo")
    assert stage.claim(None) is None
    assert present(stage, "plain", "netgo") == []


def test_only_the_first_claim_of_a_process_tidies_the_stage(tmp_path: Path) -> None:
    # What go writes into a claimed stage is this process's own, such as the build
    # gostatic.builder.headstart started before the full path claims the stage again.
    stage = stage_with(tmp_path, "plain", "netgo")
    assert stage.claim(None) is None
    assert present(stage, "plain", "netgo") == []
    Path(stage.binary("plain")).write_bytes(b"\x7fELF being written by go")
    assert stage.claim(None) is None
    assert present(stage, "plain", "netgo") == ["plain"]


def test_a_claimed_stage_is_locked_until_the_process_ends(tmp_path: Path) -> None:
    stage = stage_with(tmp_path, "plain")
    stage.claim(None)
    try_lock = (
        "import fcntl, os, sys\n"
        "fd = os.open(sys.argv[1], os.O_RDWR)\n"
        "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept BlockingIOError:\n"
        "    print('held')\nelse:\n    print('free')\n"
    )
    lock = str(Path(stage.dir) / "lock")
    done = subprocess.run(
        [sys.executable, "-c", try_lock, lock], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "held"


def test_a_stage_root_that_cannot_hold_a_build_says_why(tmp_path: Path) -> None:
    assert unusable(tmp_path / "stage") is None
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    why = unusable(blocked / "stage")
    assert why is not None and why.startswith("is not writable")
    assert list((tmp_path / "stage").iterdir()) == []  # the probe is gone
