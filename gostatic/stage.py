"""Build into a stage, install only what was proved static (the writing is gostatic.atomic).

Each output gets a persistent stage directory under the cache. `go build -o STAGE`
keeps Go's own up-to-date check working (go skips the link when the file at -o already
has the right build ID), which a fresh temporary path would defeat on every call. A
stamp records which stage binary was verified (by its Go build ID: go touches the mtime
of an up-to-date output, and may reuse its inode when it relinks) and which output was
installed from it, so an up-to-date build neither re-reads the ELF nor copies again.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import NamedTuple

FileId = tuple[int, int, int]  # inode, size, mtime_ns: changes whenever gostatic writes a file


def file_id(path: Path) -> FileId | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


# go puts its build ID in an ELF note (name "Go", type 4) within the first 32 KiB, and
# reads it from there for its own up-to-date check; so does this, without pyelftools.
_BUILD_ID_HEAD = 32 * 1024
_GO_NOTE_TYPE = 4


def go_build_id(path: Path) -> str | None:
    """The Go build ID of a binary, or None if it has none that can be read."""
    try:
        with open(path, "rb") as f:
            head = f.read(_BUILD_ID_HEAD)
    except OSError:
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


class Stamp(NamedTuple):
    """What the last run proved: this stage binary is static, this output is a copy of it."""

    strategy: str
    build_id: str
    output: FileId | None
    hazards: tuple[tuple[str, str], ...]


class Stage:
    """The stage directory of one output (or of one package when there is no output)."""

    def __init__(self, root: Path, key: str) -> None:
        digest = hashlib.sha256(key.encode()).hexdigest()[:20]
        self.dir = root / digest
        self._stamp = self.dir / "stamp.json"

    def binary(self, strategy: str, name: str) -> Path:
        return self.dir / strategy / name

    def stamped_at(self) -> int | None:
        """When the stamp was last written (ns), or None without one."""
        found = file_id(self._stamp)
        return found[2] if found is not None else None

    def read_stamp(self) -> Stamp | None:
        """The stamp, or None if missing or not of the expected shape (it is untrusted)."""
        try:
            raw = json.loads(self._stamp.read_text())
            output = raw["output"]
            stamp = Stamp(
                strategy=str(raw["strategy"]),
                build_id=str(raw["build_id"]),
                output=None if output is None else (int(output[0]), int(output[1]), int(output[2])),
                hazards=tuple((str(k), str(d)) for k, d in raw["hazards"]),
            )
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None
        return stamp

    def write_stamp(self, stamp: Stamp) -> None:
        data = {
            "strategy": stamp.strategy,
            "build_id": stamp.build_id,
            "output": None if stamp.output is None else list(stamp.output),
            "hazards": [list(h) for h in stamp.hazards],
        }
        from gostatic.atomic import write_atomic

        write_atomic(self._stamp, json.dumps(data).encode())

    def settle(self, stage_bin: Path, output: Path | None, stamp: Stamp) -> None:
        """Install a proved-static stage binary at ``output`` (if any), then stamp both, so
        the next build can tell that neither changed."""
        if output is not None:
            from gostatic.atomic import install

            install(stage_bin, output)
        if stamp.build_id:
            self.write_stamp(stamp._replace(output=file_id(output) if output is not None else None))

    def discard_others(self, keep: str) -> None:
        """Remove stage binaries of strategies that lost: they are never installed."""
        import shutil

        try:
            entries = list(self.dir.iterdir())
        except OSError:
            return
        for entry in entries:
            if entry.is_dir() and entry.name != keep:
                shutil.rmtree(entry, ignore_errors=True)
