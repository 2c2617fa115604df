"""The one place that runs `go`.

Every call gets an explicit environment (never ``os.environ`` mutated), an argument
list (never a shell), and turns "go is missing" into a domain error.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from gostatic.errors import GoCommandError, GoNotFoundError


class GoResult(NamedTuple):
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def first_error_line(self) -> str:
        """go's first message line, without the ``# package`` headers it prints above it."""
        for line in self.stderr.splitlines():
            if line.strip() and not line.startswith("#"):
                return line.strip()
        return f"go {self.args[0]} failed" if self.args else "go failed"


def find_go(env: Mapping[str, str]) -> str:
    """The `go` executable: ``GOSTATIC_GO`` if set, else `go` on the given PATH."""
    explicit = env.get("GOSTATIC_GO")
    if explicit:
        return explicit
    found = shutil.which("go", path=env.get("PATH"))
    if found is None:
        raise GoNotFoundError("go: command not found on PATH (install Go, or set GOSTATIC_GO)")
    return found


def _spawn(args: Sequence[str], env: Mapping[str, str], cwd: Path | None) -> _Running:
    """Start ``go ARGS``: the one place a go process is created.

    go runs in a process group of its own, so that stopping it reaches the compilers and
    linkers it started, and with a GOTMPDIR of gostatic's, so that its $WORK directory can
    be removed after a stop: `go build` has no handler for SIGINT and leaves $WORK behind.
    """
    exe = find_go(env)
    work_root = _private_tmpdir(env)
    go_env = dict(env)
    if work_root is not None:
        go_env["GOTMPDIR"] = str(work_root)
    try:
        proc = subprocess.Popen(
            [exe, *args],
            env=go_env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,
        )
    except OSError as exc:
        _remove_tree(work_root)
        raise GoNotFoundError(f"cannot run {exe}: {exc.strerror or exc}") from None
    return _Running(tuple(args), proc, work_root)


def _private_tmpdir(env: Mapping[str, str]) -> Path | None:
    """A fresh directory where go would put $WORK; None (go's own choice) if none can be made."""
    base = env.get("GOTMPDIR") or env.get("TMPDIR") or tempfile.gettempdir()
    try:
        return Path(tempfile.mkdtemp(prefix="gostatic-go-", dir=base))
    except OSError:
        return None


def _remove_tree(path: Path | None) -> None:
    if path is not None:
        shutil.rmtree(path, ignore_errors=True)


# How long go gets to stop after SIGINT before it is killed.
_STOP_GRACE_SECONDS = 5.0


class _Running:
    """A go process whose output is being collected."""

    def __init__(
        self, args: tuple[str, ...], proc: subprocess.Popen[str], work_root: Path | None
    ) -> None:
        self.args = args
        self.proc = proc
        self._work_root = work_root
        self._cancelled = False
        self._result: GoResult | None = None
        self._reader: threading.Thread | None = None

    def in_background(self) -> None:
        """Drain the pipes on a thread, so a large output never stalls go meanwhile."""
        self._reader = threading.Thread(target=self._collect, daemon=True)
        self._reader.start()

    def _collect(self) -> None:
        out, err = self.proc.communicate()
        self._result = GoResult(self.args, self.proc.returncode, out, err)

    def result(self) -> GoResult:
        """go's result; interrupted while waiting (Ctrl-C), go is stopped before re-raising."""
        try:
            return self._finish()
        except BaseException:
            self.cancel()
            raise

    def _finish(self) -> GoResult:
        if self._reader is not None:
            self._reader.join()
        elif self._result is None:
            self._collect()
        assert self._result is not None
        self._tidy()
        return self._result

    def _tidy(self) -> None:
        if self._work_root is None:
            return
        if self._cancelled:
            _remove_tree(self._work_root)
        else:
            # go removed $WORK itself; with -work the user asked to keep it, so only an
            # empty directory goes.
            with contextlib.suppress(OSError):
                self._work_root.rmdir()
        self._work_root = None

    def cancel(self) -> None:
        """Stop go and what it started with SIGINT, as Ctrl-C would; kill them if they have
        not stopped after a grace period. Their $WORK directory goes too."""
        self._cancelled = True
        if self.proc.poll() is None:
            try:
                self._signal_group(signal.SIGINT)
                self.proc.wait(timeout=_STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                pass
            finally:
                # Also when go has stopped: a child that ignores SIGINT would otherwise keep
                # go's pipes open, and gostatic waiting. Also reached on a second Ctrl-C.
                self._signal_group(signal.SIGKILL)
        self._finish()

    def _signal_group(self, signum: int) -> None:
        # Only sent while stopping a go that was running a moment ago: the group id (go's
        # pid) is still held by go or its children, not yet free for reuse.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signum)


def _checked(result: GoResult, check: bool) -> GoResult:
    if check and not result.ok:
        first = next((ln for ln in result.stderr.splitlines() if ln.strip()), "no message")
        raise GoCommandError(f"go {result.args[0]} failed: {first}")
    return result


def run_go(
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path | None = None,
    check: bool = True,
) -> GoResult:
    """Run ``go ARGS`` and capture its output.

    With ``check``, a non-zero exit becomes :class:`GoCommandError` carrying go's
    first error line; without it the caller reads ``returncode`` and ``stderr``.
    """
    return _checked(_spawn(args, env, cwd).result(), check)


_Key = tuple[tuple[str, ...], tuple[tuple[str, str], ...], str]


class GoSession:
    """The go commands of one gostatic run, each run at most once.

    A command can be started ahead of need (:meth:`start`), so that go list runs while go
    build links; :meth:`run` then hands back that process's result, or the result of the
    same command run earlier in this session, instead of running it again.
    """

    def __init__(self) -> None:
        self._started: dict[_Key, _Running] = {}

    @staticmethod
    def _key(args: Sequence[str], env: Mapping[str, str], cwd: Path | None) -> _Key:
        return (tuple(args), tuple(sorted(env.items())), str(cwd))

    def start(self, args: Sequence[str], *, env: Mapping[str, str], cwd: Path | None) -> None:
        key = self._key(args, env, cwd)
        if key not in self._started:
            running = _spawn(args, env, cwd)
            running.in_background()
            self._started[key] = running

    def run(
        self,
        args: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: Path | None = None,
        check: bool = True,
    ) -> GoResult:
        key = self._key(args, env, cwd)
        running = self._started.get(key)
        if running is None:
            running = self._started[key] = _spawn(args, env, cwd)
        return _checked(running.result(), check)

    def close(self) -> None:
        """Stop what was started ahead of need and never asked for."""
        for running in self._started.values():
            running.cancel()


class GoEnv(NamedTuple):
    """The facts about the toolchain that decide a build, asked once per run."""

    goos: str
    goarch: str
    version: str
    cc: str
    cgo_enabled: bool
    goexe: str
    goflags: str


_ENV_KEYS = ("GOOS", "GOARCH", "GOVERSION", "CC", "CGO_ENABLED", "GOEXE", "GOFLAGS")


ENV_ARGS = ("env", "-json", *_ENV_KEYS)


def go_env(
    env: Mapping[str, str], cwd: Path | None = None, session: GoSession | None = None
) -> GoEnv:
    runner = session.run if session is not None else run_go
    result = runner(ENV_ARGS, env=env, cwd=cwd)
    try:
        values = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise GoCommandError("go env printed something that is not JSON") from None

    def get(key: str) -> str:
        return str(values.get(key, "")) if isinstance(values, dict) else ""

    return GoEnv(
        goos=get("GOOS"),
        goarch=get("GOARCH"),
        version=get("GOVERSION"),
        cc=get("CC"),
        cgo_enabled=get("CGO_ENABLED") == "1",
        goexe=get("GOEXE"),
        goflags=get("GOFLAGS"),
    )
