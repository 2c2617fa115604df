"""Reading TOML that gostatic does not trust: the standard library's tomllib from Python
3.11, its backport tomli before, behind a bound on size and a guard on depth.

Both files gostatic reads as TOML (the strategy cache, the project file) are untrusted. The
parser holds the whole document in memory, several times the file's size (a 200 MB file
took 35 s and 840 MB), and it parses nested arrays and inline tables by recursion, so a
few thousand ``[`` exhaust Python's stack. Every way such a file can be bad ends here as
one TomlError with a reason that fits in a line.
"""

from __future__ import annotations

import os
import stat
import sys
from typing import Any

if sys.version_info >= (3, 11):
    from tomllib import TOMLDecodeError
    from tomllib import loads as _loads
else:  # pragma: no cover - exercised on 3.10 only
    # mypy checks as 3.10 sees it; the lint group installs tomli, a bare venv may not.
    from tomli import TOMLDecodeError  # type: ignore[import-not-found, unused-ignore]
    from tomli import loads as _loads  # type: ignore[import-not-found, unused-ignore]

__all__ = ["TomlError", "loads", "read_at_most", "too_big"]


class TomlError(ValueError):
    """The text is not TOML gostatic will use; the message says why, in a few words."""


def loads(text: str) -> dict[str, Any]:
    """The document in ``text``; TomlError if it is not valid TOML or nests too deeply."""
    try:
        document: dict[str, Any] = _loads(text)
    except TOMLDecodeError as exc:
        raise TomlError(f"not valid TOML: {exc}") from None
    except RecursionError:
        raise TomlError("not valid TOML: values nested too deeply") from None
    return document


def read_at_most(path: str | os.PathLike[str], limit: int) -> bytes:
    """At most the first ``limit + 1`` bytes of a regular file: one byte more than the
    limit tells a file that is too big (see :func:`too_big`) without reading, or holding,
    the rest of it.

    OSError if it cannot be read or is not a regular file: a FIFO would block a plain open
    forever and a device may never end, so the open does not block and the type is checked
    before anything is read.
    """
    with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC), "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise OSError("not a regular file")
        return file.read(limit + 1)


def too_big(data: bytes, limit: int) -> str | None:
    """Why ``data``, read with :func:`read_at_most`, is refused; None when it fits."""
    if len(data) <= limit:
        return None
    return f"larger than {limit / (1 << 20):g} MiB, the most gostatic reads"
