"""`Hazard`: the one record for something that passes the static check but breaks at run time.

A NamedTuple, so it equals the ``(kind, detail)`` pairs that stamps and build results hold.
"""

from __future__ import annotations

from gostatic.records import Record


class Hazard(Record):
    """``kind`` is a short name (``nss``, ``dlopen``, ``plugin``, ``cgo-stub``); ``detail``
    says in one line what was found and why it fails in an empty root."""

    kind: str
    detail: str
