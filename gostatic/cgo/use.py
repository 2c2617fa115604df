"""One cgo package of a build: how the main package reaches it, and what makes it static.

Shared by gostatic.explain (which finds the uses in the import graph) and gostatic.cgo.cgooff
(which judges what each becomes without cgo), so that neither imports the other's work.
"""

from __future__ import annotations

from gostatic.records import Record
from gostatic.strategies import EXTERNAL_STATIC

# Remedies, as they appear in `explain --json`.
NETGO_TAG = "netgo"
OSUSERGO_TAG = "osusergo"
EXTERNAL_LINK = EXTERNAL_STATIC.name
CANNOT_BE_STATIC = "cannot be static"

# Standard packages whose cgo code has a complete pure-Go replacement, selected by a tag
# (or by CGO_ENABLED=0). Any other cgo package built without cgo may be a stub or a
# failure (gostatic.cgo.cgooff says which): mattn/go-sqlite3 compiles to "this is a stub",
# plugin.Open always fails.
PURE_GO_FALLBACK = {"net": NETGO_TAG, "os/user": OSUSERGO_TAG}
# Standard packages no static binary can serve: plugin exists to dlopen shared objects.
_NEVER_STATIC = frozenset({"plugin"})


class CgoUse(Record):
    package: str
    chain: tuple[str, ...]  # the shortest import chain, from the root package to this one
    remedy: str


def remedy_for(package: str, standard: bool) -> str:
    if standard and package in PURE_GO_FALLBACK:
        return PURE_GO_FALLBACK[package]
    if standard and package in _NEVER_STATIC:
        return CANNOT_BE_STATIC
    return EXTERNAL_LINK
