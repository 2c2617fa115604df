"""Text and JSON reporters, one module per command; here, what their JSON shares.

Every reporter imports this package (for JSON_VERSION), the up-to-date build's included,
so json itself is imported only when a document is written.
"""

from __future__ import annotations

from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import TextIO

# The "version" of every JSON document gostatic prints: one contract, one number.
JSON_VERSION = 1


def write_json(document: dict[str, object], out: TextIO) -> None:
    """One JSON document on ``out``, indented, with a final newline."""
    import json

    json.dump(document, out, indent=2)
    out.write("\n")
