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


# Each command that takes --json, with its document's keys and their values when there is
# nothing in it.
_EMPTY: dict[str, dict[str, object]] = {
    "build": {"results": []},
    "verify": {"files": []},
    "explain": {
        "package": None,
        "cgo_packages": [],
        "loads_libraries": [],
        "cgo_off": [],
        "prediction": None,
        "predicted_needs": [],
    },
    "matrix": {"modes": [], "cells": []},
    "cache show": {"path": None, "entries": [], "size": None},
    "image": {"output": None, "digest": None, "platforms": []},
}
JSON_COMMANDS = tuple(_EMPTY)


def empty_document(command: str) -> dict[str, object]:
    """``command``'s JSON document (one of :data:`JSON_COMMANDS`) with nothing in it: the
    keys of its contract, for a run stopped by an error before it had anything to report
    (gostatic.exits adds the error)."""
    fresh = {
        key: list(value) if isinstance(value, list) else value
        for key, value in _EMPTY[command].items()
    }
    return {"version": JSON_VERSION, **fresh}
