"""The run-time needs (gostatic.elf.needs) a program's imports predict, before anything is built.

`gostatic build` reads the needs from the functions linked into the binary; `gostatic
explain` builds nothing, so it can only say what the import graph makes likely. An import
says the program can do a thing, not that it does: the linker drops what is never called,
so the binary may need less than predicted, never a need this module cannot see.

Only the needs an import pins down are predicted. ``zoneinfo`` (``time.LoadLocation``) and
``tmp`` (``os.CreateTemp``) belong to ``time`` and ``os``, which every Go program links, so
their imports tell nothing; only the binary does.
"""

from __future__ import annotations

from collections import deque

from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from gostatic.go.packages import PackageGraph


class _Prediction(Record):
    need: str
    packages: tuple[str, ...]  # a standard package that looks for the need's files
    unless: tuple[str, ...] = ()  # a package that provides them instead


_PREDICTIONS = (
    # crypto/tls verifies through crypto/x509, which loads the system's roots.
    _Prediction("ca-certificates", ("crypto/x509",), ("golang.org/x/crypto/x509roots/fallback",)),
    _Prediction("hosts", ("net",)),
    _Prediction("users", ("os/user",)),
)

# The needs no import can predict, and why (`gostatic explain` says so).
NOT_PREDICTED = ("tmp", "zoneinfo")
NOT_PREDICTED_WHY = "time and os are in every program: only the built binary tells"


def predict_needs(graph: PackageGraph, root: str) -> tuple[str, ...]:
    """The sorted needs that the packages ``root`` imports, directly or not, predict."""
    linked = _imported_from(graph, root)
    standard = {path for path in linked if graph.by_path[path].standard}
    return tuple(
        sorted(
            p.need
            for p in _PREDICTIONS
            if standard.intersection(p.packages) and not linked.intersection(p.unless)
        )
    )


def _imported_from(graph: PackageGraph, root: str) -> set[str]:
    """``root`` and every package of the graph it imports, directly or not."""
    seen = {root} if root in graph.by_path else set()
    queue = deque(seen)
    while queue:
        for imported in graph.by_path[queue.popleft()].imports:
            if imported not in seen and imported in graph.by_path:
                seen.add(imported)
                queue.append(imported)
    return seen
