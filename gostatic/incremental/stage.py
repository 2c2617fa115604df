"""Build into a stage, install only what was proved static (the writing is gostatic.atomic).

Each output gets a persistent stage directory under the cache. `go build -o STAGE`
keeps Go's own up-to-date check working (go skips the link when the file at -o already
has the right build ID), which a fresh temporary path would defeat on every call. A
stamp records which stage binary was verified (by its Go build ID: go touches the mtime
of an up-to-date output, and may reuse its inode when it relinks) and which output was
installed from it, so an up-to-date build neither re-reads the ELF nor copies again.

A stage binary is only ever installed right after go wrote it in the same run: before
go runs, :meth:`Stage.claim` removes every binary of the package but the stamped one,
and that one too when the output is no longer its copy, so go links them again; and the
install checks the copy it makes (gostatic.incremental.install). Whatever happened to
the stage since it was proved (a disk error, a hand that edited it) is never installed.

One build at a time uses a stage: :meth:`Stage.claim` locks it until the process ends,
so that two concurrent builds of one output, with different flags, never install each
other's binary, and the report of the last one describes the file at the output.
"""

from __future__ import annotations

import os
import stat

from gostatic.elf.hazard import Hazard
from gostatic.elf.needs import NAMES
from gostatic.incremental import codec
from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from typing import TypeAlias

    StrPath: TypeAlias = "str | os.PathLike[str]"

FileId = tuple[int, int, int]  # inode, size, mtime_ns: changes whenever gostatic writes a file


def file_id(path: StrPath) -> FileId | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class Stamp(Record):
    """What the last run proved: this stage binary is static, this output is a copy of it."""

    strategy: str
    build_id: str
    output: FileId | None
    hazards: tuple[Hazard, ...]
    needs: tuple[str, ...] = ()  # what the binary looks for at run time (gostatic.elf.needs)


# The stamp file's kind and fields. The stage key is there because two keys may share a
# directory name; each hazard is a kind and a detail, side by side. The needs are one
# field, comma-separated, so that a stamp written before they were recorded has none and
# is no stamp: its binary is read again.
STAMP_KIND = "gostatic-stamp-2"
STAMP_FIELDS = frozenset(
    {"stage_key", "strategy", "build_id", "output", "hazard_kind", "hazard_detail", "needs"}
)
_STAMPS = "stamps"  # beside the strategy directories; no strategy has that name


def _needs(value: str) -> tuple[str, ...]:
    """A stamp's needs field; only names gostatic knows (a reporter looks each one up)."""
    needs = tuple(value.split(",")) if value else ()
    if not NAMES.issuperset(needs):
        raise codec.ShapeError("needs: an unknown name")
    return needs


class Stage:
    """Where one package's binary is built for one output: the stage directory of that
    output, or of a whole multi-package command line (the fast path builds all its
    packages with one `go build -o DIR/`), holding one binary per strategy tried and a
    stamp per package.
    """

    def __init__(self, root: StrPath, key: str, name: str) -> None:
        self.key = key
        self.name = name  # the binary's file name: go's own for the package
        self.dir = os.path.join(root, codec.digest(key))
        self._stamp = os.path.join(self.dir, _STAMPS, name)

    def binary(self, strategy: str) -> str:
        return os.path.join(self.strategy_dir(strategy), self.name)

    def strategy_dir(self, strategy: str) -> str:
        """The directory go build writes this strategy's binaries to (`-o FILE` or `-o
        DIR/`). Like every stage file, what stands at this package's binary is untrusted:
        anything but a regular file there is removed first, as go opens an existing output
        to read it, and a FIFO would block go forever (a symlink, be written through)."""
        directory = os.path.join(self.dir, strategy)
        _remove_unless_a_file(os.path.join(directory, self.name))
        return directory

    def claim(self, output: StrPath | None) -> Stamp | None:
        """Lock the stage for the rest of this process (:func:`_hold`) and read its
        stamp. Of this package's binaries only the stamped one stays, and only while
        the output is the copy the stamp recorded: go links any other again, rather
        than leave in place a file that may have changed since it was proved.

        Only the first claim of a process tidies: from then on, what go writes into the
        stage is this process's own (a build started on a guess, gostatic.builder.headstart,
        may be writing there already), and a later claim gets the first one's stamp."""
        claim = (self.dir, self.name)
        if claim in _claimed:
            return _claimed[claim]
        _hold(self.dir)
        stamp = self.read_stamp()
        intact = stamp is not None and (output is None or file_id(output) == stamp.output)
        if stamp is not None and not intact and output is not None:
            restored = self._restored(stamp, output)
            stamp, intact = (restored, True) if restored is not None else (stamp, False)
        if not self.discard_others(stamp.strategy if stamp is not None and intact else None):
            stamp = None  # a stage it cannot tidy (read-only): nothing in it is taken as proved
        _claimed[claim] = stamp
        return stamp

    def _restored(self, stamp: Stamp, output: StrPath) -> Stamp | None:
        """The stamp, now of ``output``, when the output is no longer the stamped copy but
        is still the proved binary byte for byte, and so is the stage binary (an output
        restored from an artifact, say: gostatic.incremental.contentid tells); neither is
        linked again. None otherwise."""
        if not stamp.build_id or not _names_a_strategy_dir(stamp.strategy):
            return None
        from gostatic.incremental.contentid import is_binary_of  # hashlib: only here

        for path in (str(output), self.binary(stamp.strategy)):
            if not is_binary_of(path, stamp.build_id):
                return None
        restamped = stamp._replace(output=file_id(output))
        try:
            self.write_stamp(restamped)
        except OSError:
            return None  # the next run would not know the output: link it again now
        return restamped

    def forget_binary(self, strategy: str) -> None:
        """Remove this package's binary of ``strategy``, so that go builds it afresh."""
        if not _names_a_strategy_dir(strategy):
            return  # a stamp is untrusted: only ever a strategy directory of this stage
        try:  # noqa: SIM105 (contextlib is one more import on the build path)
            os.unlink(self.binary(strategy))
        except OSError:
            pass  # already gone: go links it all the same

    def stamped_at(self) -> int | None:
        """When the stamp was last written (ns), or None without one."""
        found = file_id(self._stamp)
        return found[2] if found is not None else None

    def read_stamp(self) -> Stamp | None:
        """The stamp, or None if missing or not of the expected shape (it is untrusted)."""
        fields = codec.read(STAMP_KIND, self._stamp, STAMP_FIELDS)
        if fields is None:
            return None
        try:
            if fields.one("stage_key") != self.key:
                return None
            return Stamp(
                strategy=fields.one("strategy"),
                build_id=fields.one("build_id"),
                output=fields.identity("output"),
                hazards=tuple(Hazard(k, d) for k, d in fields.rows("hazard_kind", "hazard_detail")),
                needs=_needs(fields.one("needs")),
            )
        except ValueError:
            return None

    def write_stamp(self, stamp: Stamp) -> None:
        fields = [
            ("stage_key", self.key),
            ("strategy", stamp.strategy),
            ("build_id", stamp.build_id),
            ("output", codec.identity_value(stamp.output)),
            ("needs", ",".join(stamp.needs)),
        ]
        for kind, detail in stamp.hazards:
            fields += (("hazard_kind", kind), ("hazard_detail", detail))
        from gostatic.atomic import write_atomic

        write_atomic(self._stamp, codec.encode(STAMP_KIND, fields))

    def restamp(self, stamp: Stamp, output: StrPath | None) -> None:
        """Stamp the stage with the output as it is now. A stamp only saves work: one
        that cannot be written (a full disk) leaves the old one, whose output or build
        ID then no longer matches, so the next build checks and installs again."""
        if not stamp.build_id:
            return  # no build ID to recognise the binary by: every build reads it
        try:  # noqa: SIM105 (see forget_binary)
            self.write_stamp(stamp._replace(output=file_id(output) if output is not None else None))
        except OSError:
            pass

    def touch(self, stamp: Stamp, output: StrPath) -> None:
        """Set the output's times to now, as go build does to an up-to-date output (a
        Makefile compares them with its sources'), and stamp the output as it is then."""
        try:
            os.utime(output)
        except OSError:
            return  # as go, which ignores it: the output and the stamp still agree
        self.restamp(stamp, output)

    def discard_others(self, keep: str | None) -> bool:
        """Remove this package's binaries but the one of strategy ``keep`` (all of them
        for None): strategies that lost are never installed (other packages of the
        command line may still need their own). False if one could not be removed."""
        try:
            entries = list(os.scandir(self.dir))
        except FileNotFoundError:
            return True
        except OSError:
            return False
        removed = True
        for entry in entries:
            if entry.name in (keep, _STAMPS) or not entry.is_dir(follow_symlinks=False):
                continue
            try:
                os.unlink(os.path.join(entry.path, self.name))
            except FileNotFoundError:
                pass  # never built with that strategy, or already gone
            except OSError:
                removed = False
        return removed


def _names_a_strategy_dir(strategy: str) -> bool:
    """Whether an untrusted strategy name can only name a strategy directory of a stage."""
    return strategy not in ("", ".", "..", _STAMPS, _LOCK) and os.sep not in strategy


# The stage locks this process holds, by lock file: each is held until the process ends.
_held: dict[str, int] = {}
# What each stage binary's first claim in this process found: by stage directory and name.
_claimed: dict[tuple[str, str], Stamp | None] = {}
_LOCK = "lock"  # beside the strategy directories and the stamps; no strategy has the name


def _hold(directory: str) -> None:
    """Lock the stage ``directory`` until this process ends: a build that holds it has
    its go builds, its install, its stamp and its report to itself.

    A process waits for a stage only while it holds no other; one that already holds a
    stage (a command line with several stages) takes another only if it is free, so
    that two processes can never wait on each other. Where no lock file can be made (a
    read-only cache) the build goes on without one.
    """
    path = os.path.join(directory, _LOCK)
    if path in _held:
        return
    try:
        os.makedirs(directory, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        return
    import fcntl  # a C module, cheap; only here

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (fcntl.LOCK_NB if _held else 0))
    except OSError:
        os.close(fd)  # busy, or no locks on this file system: not held
        return
    _held[path] = fd


# A stage holds a binary per strategy tried, each a few MB to a few tens; with less room
# than this, go could fail to write one halfway through a build.
_ROOM = 64 << 20
_PROBE_SIZE = 64 << 10


def unusable(root: StrPath) -> str | None:
    """Why builds cannot use the stage directory ``root`` (not writable, full, nearly
    full), or None if they can. The stage only saves time: the full path then builds in
    a temporary directory instead, and says so."""
    probe = os.path.join(root, f".probe-{os.getpid()}")
    try:
        os.makedirs(root, exist_ok=True)
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, bytes(_PROBE_SIZE))  # quotas and full disks fail on data, not names
        finally:
            os.close(fd)
            os.unlink(probe)
        room = os.statvfs(root)
    except OSError as exc:
        return f"is not writable ({exc.strerror or exc})"
    free = room.f_bavail * room.f_frsize
    if free < _ROOM:
        return f"has only {free >> 20} MiB free"
    return None


def _remove_unless_a_file(path: str) -> None:
    """Remove what is at ``path`` unless it is a regular file or a directory (go writes
    into a directory, and then the binary read back is missing: a build error, no hang)."""
    try:
        mode = os.lstat(path).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            os.unlink(path)
    except OSError:
        pass  # nothing there, or it cannot go: go's own error will say so
