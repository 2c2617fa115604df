"""The go commands of one gostatic run, each run at most once (go itself runs in
gostatic.go.cmd).

A command can be started ahead of need, so that go list runs while go build links, and
a cold build's first go build can start on a guess before go list has answered
(gostatic.builder.headstart). Whoever later runs the same command gets that process's
result instead of running it again.
"""

from __future__ import annotations

import time

from gostatic.atomic import discard
from gostatic.go.cmd import checked_result, spawn_go
from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from gostatic.go.cmd import Directory, GoResult, RunningGo

    _Key = tuple[tuple[str, ...], tuple[tuple[str, str], ...], str]


class GoCommand(Record):
    """One go command as a session knows it: the same arguments, environment and
    directory are the same command."""

    args: Sequence[str]
    env: Mapping[str, str]
    cwd: Directory | None


class GoSession:
    """The go commands of one gostatic run: :meth:`start` starts one ahead of need, and
    :meth:`run` hands back that process's result, or the result of the same command run
    earlier in this session, instead of running it again."""

    def __init__(self) -> None:
        self._started: dict[_Key, RunningGo] = {}
        # Builds started on a guess and not asked for since, with the files each writes.
        self._guesses: dict[_Key, tuple[str, ...]] = {}
        self.opened_ns = time.time_ns()  # before any go command of the session started

    @staticmethod
    def _key(args: Sequence[str], env: Mapping[str, str], cwd: Directory | None) -> _Key:
        return (tuple(args), tuple(sorted(env.items())), str(cwd))

    def start(
        self,
        args: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: Directory | None,
        background: bool = True,
        guess_writes: Sequence[str] | None = None,
    ) -> None:
        """Start ``go ARGS`` ahead of need, its output read on a thread; without
        ``background`` (its result is asked for next) it waits in the pipe, with no thread.
        With ``guess_writes``, the files it writes, the build is started on a guess:
        :meth:`keep_guesses` stops it unless it is one of the builds then wanted."""
        key = self._key(args, env, cwd)
        if key in self._started:
            self._guesses.pop(key, None)  # the guess was right
            return
        # Kept before anything else can be interrupted, so that close() stops it.
        running = self._started[key] = spawn_go(args, env, cwd)
        if background:
            running.in_background()
        if guess_writes is not None:
            self._guesses[key] = tuple(guess_writes)

    def run(
        self,
        args: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: Directory | None = None,
        check: bool = True,
    ) -> GoResult:
        key = self._key(args, env, cwd)
        self._guesses.pop(key, None)
        running = self._started.get(key)
        if running is None:
            running = self._started[key] = spawn_go(args, env, cwd)
        return checked_result(running.result(), check)

    def keep_guesses(self, wanted: Iterable[GoCommand]) -> None:
        """Stop each build started on a guess that is not among the ``wanted`` builds
        (those about to start), and remove the file it was writing, before another build
        can write there; the wanted ones are no longer guesses."""
        keys = {self._key(c.args, c.env, c.cwd) for c in wanted}
        for key, written in list(self._guesses.items()):
            if key not in keys:
                self._started.pop(key).cancel()
                _remove(written)
        self._guesses.clear()

    def close(self) -> None:
        """Stop what was started ahead of need and never asked for (and remove what a
        guessed build that nobody asked for wrote)."""
        for running in self._started.values():
            running.cancel()
        for written in self._guesses.values():
            _remove(written)
        self._guesses.clear()


def _remove(paths: tuple[str, ...]) -> None:
    for path in paths:
        discard(path)  # never written, or gone already: nothing to do
