"""Main packages that import Go's `plugin` package, found before anything is built.

plugin.Open hands a shared object to the dynamic loader. A static binary has no dynamic
loader, so in one plugin.Open can never work: with cgo it fails at run time, and with
CGO_ENABLED=0 the package compiles to a stub that always fails. Either way the ELF check
passes, which is why gostatic refuses such a program unless a strategy is forced.
"""

from __future__ import annotations

from gostatic.go.packages import PackageGraph

WHY = (
    'imports "plugin": a static binary has no dynamic loader and exports no symbols for a '
    "plugin to bind to, so plugin.Open can never load a plugin into it"
)
REFUSAL = f"{WHY}; refused (force a strategy with --strategy NAME to build it anyway)"


def forced_warning(package: str, strategy: str) -> str:
    return (
        f"{package} {WHY}. Built anyway because --strategy {strategy} was given: "
        "EVERY plugin.Open IN THIS BINARY WILL FAIL AT RUN TIME"
    )


def imports_plugin(graph: PackageGraph, root: str) -> bool:
    """Whether ``root`` reaches `plugin` through its imports, in the build's one go list."""
    seen = {root}
    stack = [root]
    while stack:
        pkg = graph.by_path.get(stack.pop())
        if pkg is None:
            continue
        for imported in pkg.imports:
            if imported == "plugin":
                return True
            if imported not in seen:
                seen.add(imported)
                stack.append(imported)
    return False
