"""The one function that runs go: where it runs, what it reads back, how it stops."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from types import FrameType

import pytest

from gostatic.errors import GoCommandError, GoNotFoundError
from gostatic.go.cmd import find_go, run_go, workdir_args
from gostatic.go.session import GoSession
from tests.support import imports_of, requires_go, write_module


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


def _fake_go(tmp_path: Path, body: str) -> dict[str, str]:
    """An environment whose go is a shell script with ``body``."""
    fake_go = tmp_path / "go"
    fake_go.write_text("#!/bin/sh\n" + body)
    fake_go.chmod(0o755)
    return {"GOSTATIC_GO": str(fake_go), "PATH": os.environ["PATH"], "TMPDIR": str(tmp_path)}


# What an up-to-date `gostatic build` cannot afford to import (milliseconds each, measured
# in gostatic.records' docstring).
_SLOW_IMPORTS = {
    "subprocess", "tempfile", "shutil", "threading", "signal", "json", "typing", "re",
    "pathlib", "contextlib", "collections.abc", "selectors", "enum",
}  # fmt: skip


@requires_go
def test_running_a_go_command_imports_nothing_slow() -> None:
    said, added = imports_of(
        "import os, gostatic.go.cmd\n"
        "print(gostatic.go.cmd.run_go(['version'], env=os.environ).stdout.split()[0])"
    )
    assert said == ["go"]
    assert "gostatic.go.cmd" in added
    assert not added & _SLOW_IMPORTS


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["build", "-o", "x", "."], ["build", "-C", "/w", "-o", "x", "."]),
        (["env", "-json", "GOOS"], ["env", "-C", "/w", "-json", "GOOS"]),
        (["list"], ["list", "-C", "/w"]),
        (["mod", "download", "-json"], ["mod", "download", "-C", "/w", "-json"]),
        (["work", "sync"], ["work", "sync", "-C", "/w"]),
        # the arguments' own -C, in each spelling go accepts, is relative to the directory
        (["build", "-C", "sub", "."], ["build", "-C", "/w/sub", "."]),
        (["build", "-C=sub/d", "."], ["build", "-C", "/w/sub/d", "."]),
        (["list", "--C=sub", "-e"], ["list", "-C", "/w/sub", "-e"]),
        (["list", "--C", "sub"], ["list", "-C", "/w/sub"]),
        (["build", "-C=/abs", "."], ["build", "-C", "/abs", "."]),
        # a -C that is not first is go's to reject; a bare one names no directory
        (["build", "-o", "x", "-C", "d"], ["build", "-C", "/w", "-o", "x", "-C", "d"]),
        (["build", "-C"], ["build", "-C", "/w", "-C"]),
        # nothing to put the flag after
        ([], []),
        (["mod"], ["mod"]),
    ],
)
def test_workdir_args_puts_one_absolute_C_first(args: list[str], expected: list[str]) -> None:
    assert workdir_args(args, "/w") == expected


@requires_go
def test_run_go_runs_in_cwd_when_it_is_not_the_process_directory(tmp_path: Path) -> None:
    module = write_module(tmp_path / "m", {}, module="example.com/elsewhere")
    assert Path.cwd() != module
    env = dict(os.environ)
    assert run_go(["list", "-m"], env=env, cwd=module).stdout.strip() == "example.com/elsewhere"
    # with a -C of the caller's, relative to cwd
    nested = run_go(["list", "-C", "m", "-m"], env=env, cwd=tmp_path)
    assert nested.stdout.strip() == "example.com/elsewhere"


def test_a_relative_or_bare_GOSTATIC_GO_is_found_as_subprocess_found_it(tmp_path: Path) -> None:
    env = _fake_go(tmp_path, 'echo "$@"\n')
    # a relative path: from the directory go runs in
    relative = run_go(["version"], env={**env, "GOSTATIC_GO": "./go"}, cwd=tmp_path)
    assert relative.stdout.split() == ["version", "-C", str(tmp_path)]
    # a bare name: on the PATH of the environment given
    bare = run_go(["version"], env={**env, "GOSTATIC_GO": "go", "PATH": str(tmp_path)})
    assert bare.stdout == "version\n"


@pytest.mark.parametrize("background", [False, True])
def test_megabytes_on_both_pipes_are_read_whole(tmp_path: Path, background: bool) -> None:
    # Each stream is larger than a pipe holds, and go writes them in turn: reading one
    # stream to its end before the other would wait forever.
    env = _fake_go(
        tmp_path,
        "head -c 1500000 /dev/zero | tr '\\0' o\n"
        "head -c 1500000 /dev/zero | tr '\\0' e >&2\n"
        "echo out-end\necho err-end >&2\nprintf 'bad \\377' >&2\n",
    )
    if background:
        session = GoSession()
        session.start(["build"], env=env, cwd=None)
        result = session.run(["build"], env=env)
        session.close()
    else:
        result = run_go(["build"], env=env)
    assert result.stdout == "o" * 1_500_000 + "out-end\n"
    assert result.stderr == "e" * 1_500_000 + "err-end\nbad \ufffd"


@pytest.mark.parametrize(
    ("make", "why"),
    [
        ("nothing", "No such file or directory"),
        ("a file that is not executable", "Permission denied"),
    ],
)
def test_a_go_that_cannot_run_is_go_not_found(tmp_path: Path, make: str, why: str) -> None:
    exe = tmp_path / "no-go"
    if make != "nothing":
        exe.write_text("#!/bin/sh\n")
    env = {"GOSTATIC_GO": str(exe), "PATH": os.environ["PATH"], "TMPDIR": str(tmp_path)}
    with pytest.raises(GoNotFoundError) as caught:
        run_go(["version"], env=env)
    assert caught.value.message == f"cannot run {exe}: {why}"
    assert not list(tmp_path.glob("gostatic-go-*"))


def test_no_go_on_path_is_go_not_found(tmp_path: Path) -> None:
    with pytest.raises(GoNotFoundError, match="not found on PATH"):
        find_go({"PATH": str(tmp_path)})


def test_exit_status_and_signal_death_become_returncode(tmp_path: Path) -> None:
    failing = _fake_go(tmp_path, "echo '# example.com/m' >&2\necho 'it broke' >&2\nexit 3\n")
    result = run_go(["build"], env=failing, check=False)
    assert (result.returncode, result.ok, result.first_error_line) == (3, False, "it broke")
    with pytest.raises(GoCommandError) as caught:
        run_go(["build"], env=failing)
    assert caught.value.message == "go build failed: # example.com/m"
    killed = _fake_go(tmp_path, "kill -TERM $$\nsleep 5\n")
    assert run_go(["build"], env=killed, check=False).returncode == -signal.SIGTERM
    assert not list(tmp_path.glob("gostatic-go-*"))  # rmdir'd after a normal end


def test_go_starts_as_subprocess_started_it(tmp_path: Path) -> None:
    # Python ignores SIGPIPE and SIGXFSZ, and an ignored signal stays ignored across exec;
    # descriptors gostatic's caller passed on are not go's business.
    env = _fake_go(tmp_path, "grep SigIgn /proc/$$/status\nls -l /proc/$$/fd\nwc -c\n")
    read_end, write_end = os.pipe()
    passed_on = f"pipe:[{os.fstat(write_end).st_ino}]"
    os.set_inheritable(write_end, True)
    try:
        out = run_go(["build"], env=env).stdout
    finally:
        os.close(read_end)
        os.close(write_end)
    ignored = int(out.split("SigIgn:")[1].split()[0], 16)
    assert not ignored & (1 << (signal.SIGPIPE - 1) | 1 << (signal.SIGXFSZ - 1))
    assert passed_on not in out
    assert out.rstrip().endswith("\n0")  # stdin is empty (/dev/null)


def test_closing_a_session_stops_what_it_started_in_the_background(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    env = _fake_go(tmp_path, f'sleep 30 &\necho "$$ $!" > {pids}\nwait\n')
    session = GoSession()
    session.start(["list"], env=env, cwd=None)
    for _ in range(100):
        if pids.exists() and pids.read_text().endswith("\n"):
            break
        time.sleep(0.05)
    session.close()
    shell, child = (int(p) for p in pids.read_text().split())
    # close() returns once go is reaped: no zombie left, and its children are killed.
    assert not _alive(shell)
    for _ in range(50):
        if not _alive(child):
            break
        time.sleep(0.1)
    assert not _alive(child)
    assert not list(tmp_path.glob("gostatic-go-*"))


def test_an_interrupted_wait_for_a_background_go_stops_it_cleanly(tmp_path: Path) -> None:
    # Ctrl-C while the session waits for a command started ahead of need: go is stopped
    # and the interrupt goes on, never an internal error (Python 3.11's Thread.join, once
    # interrupted, takes the reader thread for ended while it still runs).
    pids = tmp_path / "pids"
    env = _fake_go(tmp_path, f'sleep 30 &\necho "$$ $!" > {pids}\nwait\n')
    session = GoSession()
    session.start(["list"], env=env, cwd=None)

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 1.0)
        with pytest.raises(KeyboardInterrupt):
            session.run(["list"], env=env, cwd=None)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    session.close()
    shell, child = (int(p) for p in pids.read_text().split())
    for _ in range(50):
        if not _alive(shell) and not _alive(child):
            break
        time.sleep(0.1)
    assert not _alive(shell) and not _alive(child)
    assert not list(tmp_path.glob("gostatic-go-*"))


def test_a_reader_thread_the_interrupt_left_unrecorded_never_races_the_main_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ctrl-C between a reader thread's start and the line that records it: the thread
    # reads go's pipes while the main thread, which thinks none does, reads them too.
    # Both reading (and closing) the same pipes failed the thread with EBADF.
    import threading

    from gostatic.go import cmd

    failures: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: failures.append(args.exc_value))
    env = _fake_go(
        tmp_path, "for i in 1 2 3 4 5; do echo line$i; echo err$i >&2; sleep 0.05; done\n"
    )
    for _ in range(5):
        running = cmd.spawn_go(["build"], env, None)
        running.in_background()
        running._collected = None  # as if the interrupt came before it was recorded
        result = running.result()
        assert result.stdout == "".join(f"line{i}\n" for i in range(1, 6))
        assert result.stderr == "".join(f"err{i}\n" for i in range(1, 6))
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and thread.daemon:
            thread.join(timeout=5)
    assert failures == []
