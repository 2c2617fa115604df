"""The one place that runs `go`.

Every call gets an explicit environment (never ``os.environ`` mutated), an argument
list (never a shell), and turns "go is missing" into a domain error.

`gostatic build` runs on every Makefile target, so this module imports nothing the
interpreter has not loaded at start-up on the way to running one command (gostatic.records
says why, and what each import would cost): hence os.posix_spawn and select.poll instead
of subprocess, and lazy imports on the paths that are rare (a stop, a command started in
the background).
"""

from __future__ import annotations

import _thread  # built in and loaded at start-up, unlike threading
import errno
import os
import select
import time

from gostatic.errors import GoCommandError, GoNotFoundError
from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    import signal as _signal
    import threading
    from collections.abc import Mapping, Sequence
    from typing import TypeAlias

    Directory: TypeAlias = "str | os.PathLike[str]"
else:
    # signal's C core, loaded at start-up; the signal module only wraps it in enums, and
    # importing enum is most of its cost.
    import _signal


class GoResult(Record):
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
    found = _on_path("go", env)
    if found is None:
        raise GoNotFoundError("go: command not found on PATH (install Go, or set GOSTATIC_GO)")
    return found


def _on_path(name: str, env: Mapping[str, str]) -> str | None:
    """The first executable regular file ``name`` in the PATH directories, as `which` finds it
    (PATH from ``env``, else this process's, else the system default)."""
    path = env.get("PATH", os.environ.get("PATH", os.defpath))
    for directory in path.split(os.pathsep):
        candidate = os.path.join(directory or os.curdir, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


# go command groups whose subcommand comes before the flags: `go mod download -C dir`.
_COMMAND_GROUPS = frozenset({"mod", "work"})


def workdir_args(args: Sequence[str], workdir: str) -> list[str]:
    """``args`` (after `go`) changed to run in ``workdir``, with go's own ``-C`` flag.

    go accepts -C only as the first flag after the (sub)command and resolves everything
    after it, ``-o`` and package paths included, from there, as if it had been started
    there. A -C the arguments already carry is taken relative to ``workdir`` and the two
    become one flag.
    """
    words = 2 if args and args[0] in _COMMAND_GROUPS else 1
    if len(args) < words:
        return list(args)
    head, rest = list(args[:words]), list(args[words:])
    target = workdir
    if rest and rest[0] in ("-C", "--C") and len(rest) > 1:
        target = os.path.join(workdir, rest[1])
        rest = rest[2:]
    elif rest and rest[0].startswith(("-C=", "--C=")):
        target = os.path.join(workdir, rest[0].partition("=")[2])
        rest = rest[1:]
    return [*head, "-C", target, *rest]


def _elsewhere(cwd: Directory | None) -> str | None:
    """``cwd`` as an absolute path if it is not this process's directory, else None."""
    if cwd is None:
        return None
    where = os.fspath(cwd)
    try:
        here = os.getcwd()
    except OSError:
        return where
    if where == here:  # the CLI's case: no need to stat either
        return None
    try:
        if os.path.samefile(where, here):
            return None
    except OSError:
        pass  # go says what is wrong with the directory when it tries -C
    return os.path.join(here, where)


def _executable(exe: str, env: Mapping[str, str], workdir: str | None) -> str:
    """The file to execute for ``exe``, resolved as subprocess would: a bare name on PATH,
    a relative path from the directory go is to run in."""
    path = exe
    if os.sep not in exe:
        found = _on_path(exe, env)
        if found is None:
            raise GoNotFoundError(f"cannot run {exe}: {os.strerror(errno.ENOENT)}")
        path = found
    if workdir is not None:
        path = os.path.join(workdir, path)
    return path


def _inheritable_fds() -> list[int]:
    """Descriptors above stderr that go would inherit; subprocess closed them (close_fds),
    so that go and its compilers hold nothing of gostatic's caller open."""
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return []
    fds = []
    for name in names:
        fd = int(name)
        try:
            if fd > 2 and os.get_inheritable(fd):
                fds.append(fd)
        except OSError:  # the descriptor listdir itself used
            pass
    return fds


def spawn_go(args: Sequence[str], env: Mapping[str, str], cwd: Directory | None) -> RunningGo:
    """Start ``go ARGS``: the one place a go process is created.

    go runs in a session (so a process group) of its own, so that stopping it reaches the
    compilers and linkers it started, and with a GOTMPDIR of gostatic's, so that its $WORK
    directory can be removed after a stop: `go build` has no handler for SIGINT and
    leaves $WORK behind.

    posix_spawn cannot change directory, so when ``cwd`` is not this process's directory
    go changes there itself (its -C flag).
    """
    exe = find_go(env)
    workdir = _elsewhere(cwd)
    path = _executable(exe, env, workdir)
    argv = [exe, *(args if workdir is None else workdir_args(args, workdir))]
    work_root = _private_tmpdir(env)
    go_env = dict(env)
    if work_root is not None:
        go_env["GOTMPDIR"] = work_root
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    # The pipes' write ends are the 2nd and 4th descriptors os.pipe made, so even with
    # 0-2 closed in gostatic, err_write is never 1: neither dup2 overwrites the other's
    # source, and stdin, opened last, overwrites at most a read end go does not need.
    actions: list[tuple[int | str, ...]] = [(os.POSIX_SPAWN_CLOSE, fd) for fd in _inheritable_fds()]
    actions += [
        (os.POSIX_SPAWN_DUP2, out_write, 1),
        (os.POSIX_SPAWN_DUP2, err_write, 2),
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
    ]
    try:
        pid = os.posix_spawn(
            path,
            argv,
            go_env,
            file_actions=actions,
            setsid=True,
            # Python ignores these; an ignored signal stays ignored across exec.
            setsigdef=(_signal.SIGPIPE, _signal.SIGXFSZ),
        )
    except OSError as exc:
        os.close(out_read)
        os.close(err_read)
        _remove_empty(work_root)
        raise GoNotFoundError(f"cannot run {exe}: {exc.strerror or exc}") from None
    finally:
        os.close(out_write)
        os.close(err_write)
    return RunningGo(tuple(args), pid, (out_read, err_read), work_root)


def _private_tmpdir(env: Mapping[str, str]) -> str | None:
    """A fresh directory where go would put $WORK; None (go's own choice) if none can be made."""
    base = os.path.abspath(env.get("GOTMPDIR") or env.get("TMPDIR") or "/tmp")
    for _ in range(100):
        path = os.path.join(base, "gostatic-go-" + os.urandom(6).hex())
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue
        except OSError:
            return None
        return path
    return None


def _remove_empty(path: str | None) -> None:
    if path is not None:
        # Not contextlib.suppress: contextlib is one more import on every run.
        try:  # noqa: SIM105
            os.rmdir(path)
        except OSError:
            pass


def _remove_tree(path: str) -> None:
    import shutil  # only after a stop

    shutil.rmtree(path, ignore_errors=True)


def _text(chunks: list[bytes]) -> str:
    # As subprocess's text mode read it: undecodable bytes replaced, newlines universal.
    text = b"".join(chunks).decode("utf-8", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


# How long go gets to stop after SIGINT before it is killed.
_STOP_GRACE_SECONDS = 5.0
_READ_SIZE = 1 << 16


class RunningGo:
    """A go process whose output is being collected."""

    def __init__(
        self, args: tuple[str, ...], pid: int, pipes: tuple[int, int], work_root: str | None
    ) -> None:
        self.args = args
        self.pid = pid
        self._pipes = pipes
        self._chunks: dict[int, list[bytes]] = {fd: [] for fd in pipes}
        self._open = list(pipes)
        self._returncode: int | None = None
        self._work_root = work_root
        self._cancelled = False
        self._result: GoResult | None = None
        # Set by the reader thread when done. Not Thread.join: in Python 3.11, once Ctrl-C
        # interrupts a join, the next one can return while the thread still runs.
        self._collected: threading.Event | None = None
        # Held while the pipes are read: a Ctrl-C between a reader thread's start and the
        # line that records it leaves the thread reading while this one thinks none is, and
        # then both would read (and close) the same pipes.
        self._collecting = _thread.allocate_lock()

    def in_background(self) -> None:
        """Drain the pipes on a thread, so a large output never stalls go meanwhile."""
        import threading  # only for commands started ahead of need

        collected = threading.Event()
        threading.Thread(target=self._collect_in_background, args=(collected,), daemon=True).start()
        self._collected = collected  # only once a thread is there to set it

    def _collect_in_background(self, collected: threading.Event) -> None:
        try:
            self._collect()
        finally:
            collected.set()

    def _collect(self) -> None:
        with self._collecting:
            if self._result is None:  # another thread collected it meanwhile
                self._collect_now()

    def _collect_now(self) -> None:
        self._drain()
        _, status = os.waitpid(self.pid, 0)
        self._returncode = os.waitstatus_to_exitcode(status)  # -N for signal N, as Popen
        out, err = (self._chunks[fd] for fd in self._pipes)
        self._result = GoResult(self.args, self._returncode, _text(out), _text(err))

    def _drain(self) -> None:
        """Read both pipes until go and everything it started have closed them.

        Resumable: an interrupt (Ctrl-C) leaves what was read, and the pipes still open,
        for the next call to carry on after go has been stopped.
        """
        poller = select.poll()
        for fd in self._open:
            poller.register(fd, select.POLLIN)
        while self._open:
            for fd, _event in poller.poll():
                data = os.read(fd, _READ_SIZE)
                if data:
                    self._chunks[fd].append(data)
                else:
                    self._open.remove(fd)
                    poller.unregister(fd)
                    os.close(fd)

    def result(self) -> GoResult:
        """go's result; interrupted while waiting (Ctrl-C), go is stopped before re-raising."""
        try:
            return self._finish()
        except BaseException:
            self.cancel()
            raise

    def _finish(self) -> GoResult:
        if self._collected is not None:
            self._collected.wait()
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
            _remove_empty(self._work_root)
        self._work_root = None

    def _exited(self) -> bool:
        """Whether go has ended, without reaping it: only _collect reaps, on whichever
        thread collects, so it always gets go's status."""
        if self._returncode is not None:
            return True
        try:
            flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
            return os.waitid(os.P_PID, self.pid, flags) is not None
        except ChildProcessError:
            return True

    def cancel(self) -> None:
        """Stop go and what it started with SIGINT, as Ctrl-C would; kill them if they have
        not stopped after a grace period. Their $WORK directory goes too."""
        self._cancelled = True
        if not self._exited():
            try:
                self._signal_group(_signal.SIGINT)
                deadline = time.monotonic() + _STOP_GRACE_SECONDS
                while not self._exited() and time.monotonic() < deadline:
                    time.sleep(0.01)
            finally:
                # Also when go has stopped: a child that ignores SIGINT would otherwise keep
                # go's pipes open, and gostatic waiting. Also reached on a second Ctrl-C.
                self._signal_group(_signal.SIGKILL)
        self._finish()

    def _signal_group(self, signum: int) -> None:
        # Only sent while stopping a go that was running a moment ago: the group id (go's
        # pid) is still held by go or its children, not yet free for reuse.
        try:  # noqa: SIM105 (see _remove_empty)
            os.killpg(self.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass


def checked_result(result: GoResult, check: bool) -> GoResult:
    if check and not result.ok:
        first = next((ln for ln in result.stderr.splitlines() if ln.strip()), "no message")
        raise GoCommandError(f"go {result.args[0]} failed: {first}")
    return result


def run_go(
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Directory | None = None,
    check: bool = True,
) -> GoResult:
    """Run ``go ARGS`` and capture its output.

    With ``check``, a non-zero exit becomes :class:`GoCommandError` carrying go's
    first error line; without it the caller reads ``returncode`` and ``stderr``.
    """
    return checked_result(spawn_go(args, env, cwd).result(), check)
