"""The Go build ID of a binary, read as go reads it for its own up-to-date check: from the
ELF note (name "Go", type 4) within its first 32 KiB, without pyelftools."""

from __future__ import annotations

from gostatic.incremental import codec
from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    import os

    from gostatic.elf.layout import Data

_BUILD_ID_HEAD = 32 * 1024
_GO_NOTE_TYPE = 4


def go_build_id(path: str | os.PathLike[str]) -> str | None:
    """The Go build ID of a binary, or None if it has none that can be read."""
    head = codec.read_regular(path, _BUILD_ID_HEAD)
    return build_id_in(head) if head is not None else None


def build_id_in(data: Data) -> str | None:
    """:func:`go_build_id` of a binary already mapped or read (its first 32 KiB do)."""
    head = data[:_BUILD_ID_HEAD]
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
