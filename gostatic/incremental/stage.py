"""Build into a stage, install only what was proved static (the writing is gostatic.atomic).

Each output gets a persistent stage directory under the cache. `go build -o STAGE`
keeps Go's own up-to-date check working (go skips the link when the file at -o already
has the right build ID), which a fresh temporary path would defeat on every call. A
stamp records which stage binary was verified (by its Go build ID: go touches the mtime
of an up-to-date output, and may reuse its inode when it relinks) and which output was
installed from it, so an up-to-date build neither re-reads the ELF nor copies again.
"""

from __future__ import annotations

import os
import stat

from gostatic.incremental import codec
from gostatic.records import Record

TYPE_CHECKING = False  # see gostatic.records: typing is not imported on the build path
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


# go puts its build ID in an ELF note (name "Go", type 4) within the first 32 KiB, and
# reads it from there for its own up-to-date check; so does this, without pyelftools.
_BUILD_ID_HEAD = 32 * 1024
_GO_NOTE_TYPE = 4


def go_build_id(path: StrPath) -> str | None:
    """The Go build ID of a binary, or None if it has none that can be read."""
    head = codec.read_regular(path, _BUILD_ID_HEAD)
    if head is None:
        return None
    for order in ("little", "big"):
        marker = _GO_NOTE_TYPE.to_bytes(4, order) + b"Go\x00\x00"
        at = head.find(marker)
        while at >= 8:
            namesz = int.from_bytes(head[at - 8 : at - 4], order)
            descsz = int.from_bytes(head[at - 4 : at], order)
            if namesz == 4 and 0 < descsz <= 1024:
                desc = head[at + len(marker) : at + len(marker) + descsz]
                return desc.rstrip(b"\x00").decode("ascii", "replace") or None
            at = head.find(marker, at + 1)
    return None


class Stamp(Record):
    """What the last run proved: this stage binary is static, this output is a copy of it."""

    strategy: str
    build_id: str
    output: FileId | None
    hazards: tuple[tuple[str, str], ...]


# The stamp file's kind and fields. The stage key is there because two keys may share a
# directory name; each hazard is a kind and a detail, side by side.
STAMP_KIND = "gostatic-stamp-2"
STAMP_FIELDS = frozenset(
    {"stage_key", "strategy", "build_id", "output", "hazard_kind", "hazard_detail"}
)
_STAMPS = "stamps"  # beside the strategy directories; no strategy has that name


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
                hazards=tuple((k, d) for k, d in fields.rows("hazard_kind", "hazard_detail")),
            )
        except ValueError:
            return None

    def write_stamp(self, stamp: Stamp) -> None:
        fields = [
            ("stage_key", self.key),
            ("strategy", stamp.strategy),
            ("build_id", stamp.build_id),
            ("output", codec.identity_value(stamp.output)),
        ]
        for kind, detail in stamp.hazards:
            fields += (("hazard_kind", kind), ("hazard_detail", detail))
        from gostatic.atomic import write_atomic

        write_atomic(self._stamp, codec.encode(STAMP_KIND, fields))

    def settle(self, stage_bin: StrPath, output: StrPath | None, stamp: Stamp) -> None:
        """Install a proved-static stage binary at ``output`` (if any), then stamp both, so
        the next build can tell that neither changed."""
        if output is not None:
            from gostatic.atomic import install

            install(stage_bin, output)
        if stamp.build_id:
            self.write_stamp(stamp._replace(output=file_id(output) if output is not None else None))

    def discard_others(self, keep: str) -> None:
        """Remove this package's binaries of strategies that lost: they are never installed
        (other packages of the command line may still need their own)."""
        try:
            entries = list(os.scandir(self.dir))
        except OSError:
            return
        for entry in entries:
            if entry.name in (keep, _STAMPS) or not entry.is_dir(follow_symlinks=False):
                continue
            try:  # noqa: SIM105 (contextlib is one more import on the build path)
                os.unlink(os.path.join(entry.path, self.name))
            except OSError:
                pass  # never built with that strategy, or already gone


def _remove_unless_a_file(path: str) -> None:
    """Remove what is at ``path`` unless it is a regular file or a directory (go writes
    into a directory, and then the binary read back is missing: a build error, no hang)."""
    try:
        mode = os.lstat(path).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            os.unlink(path)
    except OSError:
        pass  # nothing there, or it cannot go: go's own error will say so
